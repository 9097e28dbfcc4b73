namespace LoraDsl.Templating.Jinja;

/// <summary>Anything a template can call: a macro, a global function, a bound method.</summary>
internal abstract class JinjaCallable
{
    public abstract string Name { get; }

    public abstract object? Call(JinjaCallContext context, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named);
}

/// <summary>A callable made from a delegate (globals, string/dict methods, loop.cycle).</summary>
internal sealed class JinjaFunction(string name, Func<JinjaCallContext, IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> body) : JinjaCallable
{
    public override string Name { get; } = name;

    public override object? Call(JinjaCallContext context, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named) =>
        body(context, positional, named);
}

/// <summary>Where a call happens: errors raised by the callee point at the call's line and column.</summary>
internal sealed record JinjaCallContext(JinjaEvaluator Evaluator, int Line, int Column)
{
    public JinjaException Error(string message) => new(message, Line, Column);
}
