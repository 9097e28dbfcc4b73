using System.Text.Json.Nodes;
using LoraDsl.ChatTemplates;
using Xunit;

namespace LoraDsl.Tests.ChatTemplates;

/// <summary>
/// Every golden made by Goldens/make_goldens.py (Python Jinja2 3.1.6 under transformers' chat-template
/// environment) must come out of ChatTemplate byte for byte; a case Jinja2 refuses must be refused here,
/// with raise_exception's message verbatim.
/// </summary>
public class ChatTemplateGoldenTests
{
    static readonly string GoldenDirectory = Path.Combine(AppContext.BaseDirectory, "ChatTemplates", "Goldens");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Manifest()) data.Add(c!["name"]!.GetValue<string>());
        return data;
    }

    static JsonArray Manifest() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenDirectory, "goldens.json")))!["cases"]!.AsArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_equals_jinja2(string name)
    {
        var c = Manifest().Single(x => x!["name"]!.GetValue<string>() == name)!;
        var template = ChatTemplate.FromFile(Path.Combine(GoldenDirectory, "templates", c["template"]!.GetValue<string>()));
        var variables = new Dictionary<string, JsonNode?>();
        foreach (var (key, value) in c["special_tokens"]!.AsObject()) variables[key] = value?.DeepClone();
        foreach (var (key, value) in c["variables"]!.AsObject()) variables[key] = value?.DeepClone();
        var messages = c["messages"]!.AsArray();
        var tools = c["tools"] as JsonArray;
        var addGenerationPrompt = c["add_generation_prompt"]!.GetValue<bool>();

        if (c["error"] is { } error)
        {
            var thrown = Assert.Throws<ChatTemplateException>(() => template.Render(messages, addGenerationPrompt, tools, variables));
            if (c["raised_by_template"]!.GetValue<bool>()) Assert.Equal(error.GetValue<string>(), thrown.TemplateMessage);
            Assert.NotNull(thrown.Line);
            return;
        }
        var expected = File.ReadAllText(Path.Combine(GoldenDirectory, c["expected"]!.GetValue<string>()));
        Assert.Equal(expected, template.Render(messages, addGenerationPrompt, tools, variables));
    }

    [Fact]
    public void Every_family_the_issue_names_has_goldens()
    {
        var templates = Manifest().Select(c => c!["template"]!.GetValue<string>()).ToHashSet();
        foreach (var family in new[] { "Llama-3.1", "Llama-3.2", "Qwen2.5", "Qwen3", "gemma-2", "gemma-3", "Phi-3.5", "phi-4", "Mistral", "DeepSeek-R1-Distill-Qwen", "SmolLM2", "chatml" })
            Assert.Contains(templates, t => t.Contains(family, StringComparison.Ordinal));
    }
}
