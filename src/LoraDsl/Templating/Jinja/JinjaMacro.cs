namespace LoraDsl.Templating.Jinja;

/// <summary>A macro defined by the template: called like a function, returns what its body renders.</summary>
internal sealed class JinjaMacro(MacroStmt definition, JinjaScope closure, JinjaCallable? caller = null) : JinjaCallable
{
    public override string Name => definition.Name;

    public override object? Call(JinjaCallContext context, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
    {
        var scope = new JinjaScope(closure);
        var parameters = definition.Parameters;
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            object? value;
            if (i < positional.Count) value = positional[i];
            else if (named.TryGetValue(p.Name, out var v)) value = v;
            else if (p.Default is not null) value = context.Evaluator.Evaluate(p.Default, scope);
            else value = Undefined.Name(p.Name);
            scope.Set(p.Name, value);
        }
        var known = parameters.Select(p => p.Name).ToHashSet();
        var extra = named.Where(kv => !known.Contains(kv.Key) && kv.Key != "caller").ToList();
        if (positional.Count > parameters.Count)
            scope.Set("varargs", new List<object?>(positional.Skip(parameters.Count)));
        else scope.Set("varargs", new List<object?>());
        var kwargs = new JinjaDict();
        foreach (var (k, v) in extra) kwargs.Set(k, v);
        scope.Set("kwargs", kwargs);
        if (caller is not null) scope.Set("caller", caller);
        else if (named.TryGetValue("caller", out var c)) scope.Set("caller", c);
        return context.Evaluator.RenderToString(definition.Body, scope);
    }
}
