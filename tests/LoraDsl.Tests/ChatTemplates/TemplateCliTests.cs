using System.Text.Json.Nodes;
using LoraDsl.Tests.Examples;
using Xunit;

namespace LoraDsl.Tests.ChatTemplates;

/// <summary>
/// `template --model DIR --messages FILE.json`: a model folder with only tokenizer_config.json prints
/// exactly what Jinja2 rendered for the golden (nothing added), and errors leave no output file.
/// </summary>
public sealed class TemplateCliTests : IDisposable
{
    static readonly string GoldenDirectory = Path.Combine(AppContext.BaseDirectory, "ChatTemplates", "Goldens");
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("template-cli");

    public void Dispose() => work.Delete(recursive: true);

    static JsonNode Golden(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenDirectory, "goldens.json")))!["cases"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!;

    static string Expected(JsonNode golden) => File.ReadAllText(Path.Combine(GoldenDirectory, golden["expected"]!.GetValue<string>()));

    /// <summary>A model folder as transformers saves it: the template and special tokens in tokenizer_config.json, no weights.</summary>
    string ModelFolder(JsonNode golden, bool tokensAsAddedTokenObjects = false)
    {
        var dir = Path.Combine(work.FullName, "model-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["chat_template"] = File.ReadAllText(Path.Combine(GoldenDirectory, "templates", golden["template"]!.GetValue<string>())),
        };
        foreach (var (key, value) in golden["special_tokens"]!.AsObject())
            config[key] = tokensAsAddedTokenObjects
                ? new JsonObject { ["__type"] = "AddedToken", ["content"] = value!.GetValue<string>(), ["special"] = true }
                : value!.DeepClone();
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        return dir;
    }

    string MessagesFile(JsonNode golden, bool bareList = false)
    {
        var path = Path.Combine(work.FullName, "messages-" + Guid.NewGuid().ToString("N")[..6] + ".json");
        JsonNode content = bareList ? golden["messages"]!.DeepClone() : new JsonObject { ["messages"] = golden["messages"]!.DeepClone(), ["tools"] = golden["tools"]?.DeepClone() };
        File.WriteAllText(path, content.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct__system_multiturn_genprompt", new string[0])]
    [InlineData("Qwen-Qwen2.5-7B-Instruct__tools", new string[0])]
    [InlineData("Qwen-Qwen3-0.6B__enable_thinking_false", new[] { "--var", "enable_thinking=false" })]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct__tools", new[] { "--var", "date_string=26 Jul 2024" })]
    [InlineData("google-gemma-3-4b-it__system_multiturn", new string[0])]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407__system_multiturn", new string[0])]
    public void Prints_exactly_what_jinja2_rendered(string goldenName, string[] extra)
    {
        var golden = Golden(goldenName);
        string[] args = ["template", "--model", ModelFolder(golden, tokensAsAddedTokenObjects: true), "--messages", MessagesFile(golden), .. extra];
        if (golden["add_generation_prompt"]!.GetValue<bool>()) args = [.. args, "--add-generation-prompt"];
        var (exit, stdout, stderr) = CliCapture.Run(args);
        Assert.True(exit == 0, stderr);
        Assert.Equal(Expected(golden), stdout);
    }

    [Fact]
    public void Writes_the_file_with_o_and_prints_nothing()
    {
        var golden = Golden("HuggingFaceTB-SmolLM2-1.7B-Instruct__system_multiturn");
        var output = Path.Combine(work.FullName, "out.txt");
        var (exit, stdout, stderr) = CliCapture.Run(["template", "--model", ModelFolder(golden), "--messages", MessagesFile(golden, bareList: true), "-o", output]);
        Assert.True(exit == 0, stderr);
        Assert.Equal("", stdout);
        Assert.Equal(Expected(golden), File.ReadAllText(output));
    }

    [Fact]
    public void A_template_error_exits_non_zero_with_the_templates_message_and_no_file()
    {
        var golden = Golden("google-gemma-2-2b-it__error_system");
        var output = Path.Combine(work.FullName, "never.txt");
        var (exit, stdout, stderr) = CliCapture.Run(["template", "--model", ModelFolder(golden), "--messages", MessagesFile(golden), "--add-generation-prompt", "-o", output]);
        Assert.NotEqual(0, exit);
        Assert.Equal("", stdout);
        Assert.Contains("System role not supported", stderr);
        Assert.Contains("tokenizer_config.json, line 1, column", stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Reads_chat_template_jinja_and_a_named_template_and_a_built_in()
    {
        var golden = Golden("chatml__system_multiturn_genprompt");
        var chatml = File.ReadAllText(Path.Combine(GoldenDirectory, "templates", "chatml.jinja"));
        var dir = Path.Combine(work.FullName, "jinja-only");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), chatml);
        var messages = MessagesFile(golden);

        var fromFile = CliCapture.Run(["template", "--model", dir, "--messages", messages, "--add-generation-prompt"]);
        Assert.Equal(Expected(golden), fromFile.Stdout);

        var named = Path.Combine(work.FullName, "named");
        Directory.CreateDirectory(named);
        var config = new JsonObject
        {
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "default", ["template"] = "default template" },
                new JsonObject { ["name"] = "tool_use", ["template"] = chatml }),
        };
        File.WriteAllText(Path.Combine(named, "tokenizer_config.json"), config.ToJsonString());
        Assert.Equal("default template", CliCapture.Run(["template", "--model", named, "--messages", messages]).Stdout);
        Assert.Equal(Expected(golden), CliCapture.Run(["template", "--model", named, "--template", "tool_use", "--messages", messages, "--add-generation-prompt"]).Stdout);
        var missing = CliCapture.Run(["template", "--model", named, "--template", "rag", "--messages", messages]);
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("default, tool_use", missing.Stderr);

        Assert.Equal(Expected(golden), CliCapture.Run(["template", "--template", "chatml", "--messages", messages, "--add-generation-prompt"]).Stdout);
    }

    [Fact]
    public void Var_values_are_json_when_they_parse_else_text()
    {
        var dir = Path.Combine(work.FullName, "vars");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"),
            "{{ a is false }} {{ b + 1 }} {{ c }} {{ d }} {{ e | length }} {{ bos_token is defined }}");
        File.WriteAllText(Path.Combine(work.FullName, "m.json"), "[]");
        var (exit, stdout, stderr) = CliCapture.Run(["template", "--model", dir, "--messages", Path.Combine(work.FullName, "m.json"),
            "--var", "a=false", "--var", "b=3", "--var", "c=\"quoted\"", "--var", "d=plain words", "--var", "e=[1,2]"]);
        Assert.True(exit == 0, stderr);
        Assert.Equal("True 4 quoted plain words 2 False", stdout);
    }
}
