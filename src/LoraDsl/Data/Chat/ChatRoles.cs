namespace LoraDsl.Data.Chat;

/// <summary>The role names data files use, mapped to OpenAI's system/user/assistant/tool.</summary>
internal static class ChatRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string Tool = "tool";

    static readonly Dictionary<string, string> OpenAi = new(StringComparer.Ordinal)
    {
        ["system"] = System, ["developer"] = System, ["user"] = User, ["assistant"] = Assistant, ["tool"] = Tool, ["function"] = Tool,
    };

    // ShareGPT as FastChat, axolotl and LLaMA-Factory write it; "function_call" is the assistant calling a tool.
    static readonly Dictionary<string, string> ShareGpt = new(StringComparer.OrdinalIgnoreCase)
    {
        ["system"] = System, ["human"] = User, ["user"] = User, ["gpt"] = Assistant, ["assistant"] = Assistant, ["chatgpt"] = Assistant,
        ["bard"] = Assistant, ["bing"] = Assistant, ["model"] = Assistant, ["function_call"] = Assistant,
        ["tool"] = Tool, ["function"] = Tool, ["observation"] = Tool, ["function_response"] = Tool, ["ipython"] = Tool,
    };

    public static string? FromOpenAi(string role) => OpenAi.GetValueOrDefault(role);

    public static string? FromShareGpt(string role) => ShareGpt.GetValueOrDefault(role);

    public static string OpenAiNames => string.Join(", ", OpenAi.Keys);

    public static string ShareGptNames => string.Join(", ", ShareGpt.Keys);
}
