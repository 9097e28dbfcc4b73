namespace LoraDsl.Templating.Jinja;

/// <summary>
/// MarkupSafe's Markup, as `|safe` and `|escape` return it: a string that HTML-escapes a plain string
/// added to it with `+` (what Jinja2 does even without autoescape).
/// </summary>
internal sealed class JinjaMarkup(string text)
{
    public string Text { get; } = text;

    public static string Escape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    public override string ToString() => Text;
}
