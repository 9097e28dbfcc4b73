using System.Text.Json.Nodes;
using LoraDsl.Templating.Jinja;
using Xunit;

namespace LoraDsl.Tests.ChatTemplates;

/// <summary>
/// One small template per renderer feature (whitespace control, loops, scoping, macros, filters, tests,
/// methods, Python printing, errors), each compared with Python Jinja2 3.1.6's output under transformers'
/// settings (Goldens/renderer_snippets.py, rendered by make_goldens.py into renderer_cases.json).
/// </summary>
public class JinjaRendererCaseTests
{
    static readonly string CasesPath = Path.Combine(AppContext.BaseDirectory, "ChatTemplates", "Goldens", "renderer_cases.json");

    static JsonArray Manifest() => JsonNode.Parse(File.ReadAllText(CasesPath))!["cases"]!.AsArray();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Manifest()) data.Add(c!["name"]!.GetValue<string>());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_equals_jinja2(string name)
    {
        var c = Manifest().Single(x => x!["name"]!.GetValue<string>() == name)!;
        var variables = c["variables"]!.AsObject().ToDictionary(p => p.Key, p => JinjaTemplate.FromJson(p.Value));
        var source = c["template"]!.GetValue<string>();
        if (c["error"] is { } error)
        {
            var thrown = Assert.Throws<JinjaException>(() => JinjaTemplate.Parse(source).Render(variables));
            Assert.True(thrown.Line >= 1 && thrown.Column >= 1);
            if (c["raised_by_template"]?.GetValue<bool>() == true)
            {
                Assert.True(thrown.RaisedByTemplate);
                Assert.Equal(error.GetValue<string>(), thrown.Message);
            }
            if (c["error_line"] is { } line) Assert.Equal(line.GetValue<int>(), thrown.Line);
            return;
        }
        Assert.Equal(c["expected"]!.GetValue<string>(), JinjaTemplate.Parse(source).Render(variables));
    }
}
