using System.Text.Json.Nodes;
using LoraDsl.ChatTemplates;
using LoraDsl.Templating.Jinja;
using Xunit;

namespace LoraDsl.Tests.ChatTemplates;

/// <summary>Errors name the template, the line and the column; raise_exception's words come through unchanged.</summary>
public class JinjaRendererErrorTests
{
    static ChatTemplateException RenderError(string source, string name = "t.jinja")
    {
        var dir = Directory.CreateTempSubdirectory("jinja-errors");
        try
        {
            var path = Path.Combine(dir.FullName, name);
            File.WriteAllText(path, source);
            return Assert.Throws<ChatTemplateException>(() =>
                ChatTemplate.FromFile(path).Render(new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }), addGenerationPrompt: false));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Raise_exception_keeps_the_message_and_points_at_the_call()
    {
        var e = RenderError("{% for m in messages %}\n  {% if m.role == 'user' %}\n    {{ raise_exception('Only \"system\" may start: ' + m.role) }}\n  {% endif %}\n{% endfor %}");
        Assert.Equal("Only \"system\" may start: user", e.TemplateMessage);
        Assert.Equal((3, 8), (e.Line, e.Column));
        Assert.EndsWith("t.jinja", e.TemplateName);
        Assert.Contains("t.jinja, line 3, column 8: Only \"system\" may start: user", e.Message);
    }

    [Fact]
    public void A_syntax_error_is_reported_when_the_template_is_read()
    {
        var dir = Directory.CreateTempSubdirectory("jinja-errors");
        var path = Path.Combine(dir.FullName, "bad.jinja");
        File.WriteAllText(path, "line one\n{{ messages[0] + }}");
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromFile(path));
        dir.Delete(recursive: true);
        Assert.Equal((2, 18), (e.Line, e.Column));
        Assert.Contains("bad.jinja", e.Message);
    }

    [Theory]
    [InlineData("{% include 'other.jinja' %}", 1, 4, "'include' tag is not supported")]
    [InlineData("ok\n  {% frobnicate %}", 2, 6, "unknown tag 'frobnicate'")]
    [InlineData("{% if true %}\nno end", 2, 7, "expected 'elif' or 'else' or 'endif'")]
    [InlineData("{% for m in messages recursive %}{% endfor %}", 1, 22, "recursive loops are not supported")]
    [InlineData("{{ messages | nofilter }}", 1, 15, "No filter named 'nofilter'")]
    [InlineData("{{ messages[0].content.x.y }}", 1, 25, "'str object' has no attribute 'x'")]
    [InlineData("{{ messages.append(1) }}", 1, 12, "access to attribute 'append' of 'list' object is unsafe")]
    [InlineData("{{ 'a' + none }}", 1, 8, "unsupported operand type(s) for +: 'str' and 'NoneType'")]
    public void Unsupported_constructs_and_runtime_errors_name_line_and_column(string source, int line, int column, string message)
    {
        var e = RenderError(source);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(message, e.TemplateMessage);
    }

    [Fact]
    public void Strftime_now_formats_the_given_clock_like_python()
    {
        var template = JinjaTemplate.Parse("{{ strftime_now('%d %b %Y %H:%M:%S %A %B %j %y %p %%') }}");
        var text = template.Render(new Dictionary<string, object?>(), () => new DateTime(2024, 7, 6, 15, 4, 5));
        Assert.Equal("06 Jul 2024 15:04:05 Saturday July 188 24 PM %", text);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.5e-10, "-2.5e-10")]
    [InlineData(1.0 / 3, "0.3333333333333333")]
    [InlineData(123.456, "123.456")]
    [InlineData(5e-324, "5e-324")]
    public void Floats_print_as_python_repr(double value, string python)
    {
        // Expected strings are Python 3's repr() of the same doubles.
        Assert.Equal(python, PyValue.FloatRepr(value));
    }
}
