namespace LoraDsl.Templating.Jinja;

/// <summary>A template that cannot be parsed or rendered, at a line and column of its source (1-based).</summary>
internal sealed class JinjaException : Exception
{
    public JinjaException(string message, int line, int column, bool raisedByTemplate = false) : base(message)
    {
        Line = line;
        Column = column;
        RaisedByTemplate = raisedByTemplate;
    }

    public int Line { get; }
    public int Column { get; }

    /// <summary>True when the template itself called raise_exception: the message is the template's own words.</summary>
    public bool RaisedByTemplate { get; }
}
