namespace LoraDsl.Templating.Jinja;

// The syntax tree of a template. Every node keeps the line and column it starts at, for errors.

internal abstract record JinjaNode(int Line, int Column);

internal abstract record Expr(int Line, int Column) : JinjaNode(Line, Column);

internal sealed record LiteralExpr(object? Value, int Line, int Column) : Expr(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Pairs, int Line, int Column) : Expr(Line, Column);

internal sealed record AttributeExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record ItemExpr(Expr Target, Expr Index, int Line, int Column) : Expr(Line, Column);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

internal sealed record CallArguments(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static readonly CallArguments None = new([], []);
}

internal sealed record CallExpr(Expr Callee, CallArguments Arguments, int Line, int Column) : Expr(Line, Column);

internal sealed record FilterExpr(Expr? Target, string Name, CallArguments Arguments, int Line, int Column) : Expr(Line, Column);

internal sealed record TestExpr(Expr Target, string Name, CallArguments Arguments, bool Negated, int Line, int Column) : Expr(Line, Column);

internal sealed record UnaryExpr(string Operator, Expr Operand, int Line, int Column) : Expr(Line, Column);

internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

internal sealed record ConditionalExpr(Expr Test, Expr Then, Expr? Else, int Line, int Column) : Expr(Line, Column);

internal abstract record Stmt(int Line, int Column) : JinjaNode(Line, Column);

internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column);

internal sealed record PrintStmt(Expr Value, int Line, int Column) : Stmt(Line, Column);

internal sealed record IfStmt(IReadOnlyList<(Expr Test, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt>? Else, int Line, int Column) : Stmt(Line, Column);

internal sealed record ForStmt(Expr Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt>? Else, int Line, int Column) : Stmt(Line, Column);

internal sealed record SetStmt(Expr Target, Expr Value, int Line, int Column) : Stmt(Line, Column);

internal sealed record SetBlockStmt(Expr Target, IReadOnlyList<FilterExpr> Filters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record MacroParameter(string Name, Expr? Default);

internal sealed record MacroStmt(string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record CallBlockStmt(CallExpr Call, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record FilterBlockStmt(IReadOnlyList<FilterExpr> Filters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record LoopControlStmt(bool IsBreak, int Line, int Column) : Stmt(Line, Column);

/// <summary>transformers' `{% generation %}` block (AssistantTracker): renders its body unchanged.</summary>
internal sealed record GenerationStmt(IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);
