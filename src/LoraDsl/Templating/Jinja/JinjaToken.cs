namespace LoraDsl.Templating.Jinja;

internal enum JinjaTokenKind { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End }

/// <summary>One token of a template, with where it starts (1-based line and column).</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Text, object? Value, int Line, int Column)
{
    public bool Is(JinjaTokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsName(string name) => Kind == JinjaTokenKind.Name && Text == name;

    public bool IsOperator(string op) => Kind == JinjaTokenKind.Operator && Text == op;
}
