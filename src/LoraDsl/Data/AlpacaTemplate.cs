namespace LoraDsl.Data;

/// <summary>The Stanford Alpaca prompt, with and without an input section.</summary>
internal static class AlpacaTemplate
{
    public static string Prompt(string instruction, string input) =>
        string.IsNullOrWhiteSpace(input)
            ? $"### Instruction:\n{instruction}\n\n### Response:\n"
            : $"### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";
}
