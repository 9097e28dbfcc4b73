namespace LoraDsl.Templating.Jinja;

/// <summary>Jinja2's built-in tests (`x is defined`, `x is string`, `x is equalto 3`...).</summary>
internal static class JinjaTests
{
    static readonly Dictionary<string, Func<object?, JinjaArguments, bool>> Tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["number"] = (v, _) => v is long or double or bool,
        ["string"] = (v, _) => v is string,
        ["mapping"] = (v, _) => v is JinjaDict,
        ["sequence"] = (v, _) => v is string or List<object?> or JinjaTuple or JinjaDict,
        ["iterable"] = (v, _) => v is string or List<object?> or JinjaTuple or JinjaDict or Undefined,
        ["callable"] = (v, _) => v is JinjaCallable,
        ["escaped"] = (_, _) => false,
        ["odd"] = (v, a) => Integer(v, a) % 2 != 0,
        ["even"] = (v, a) => Integer(v, a) % 2 == 0,
        ["divisibleby"] = (v, a) => Integer(v, a) % Integer(a.Required(0, "num"), a) == 0,
        ["lower"] = (v, _) => v is string s && s == s.ToLowerInvariant(),
        ["upper"] = (v, _) => v is string s && s == s.ToUpperInvariant(),
        ["sameas"] = (v, a) => SameAs(v, a.Required(0, "other")),
        ["in"] = (v, a) => JinjaOperators.Contains(a.Required(0, "seq"), v, At(a)),
        ["filter"] = (v, _) => v is string s && JinjaFilters.Exists(s),
        ["test"] = (v, _) => v is string s && Exists(s),
    };

    static JinjaTests()
    {
        foreach (var (names, op) in new[]
                 {
                     (new[] { "eq", "equalto", "==" }, "=="), (["ne", "!="], "!="), (["lt", "lessthan", "<"], "<"),
                     (["le", "<="], "<="), (["gt", "greaterthan", ">"], ">"), (["ge", ">="], ">="),
                 })
            foreach (var name in names)
                Tests[name] = (v, a) => PyValue.IsTrue(JinjaOperators.Binary(op, v, a.Required(0, "other"), At(a)));
    }

    public static bool Exists(string name) => Tests.ContainsKey(name);

    public static bool Apply(string name, object? value, JinjaArguments arguments) =>
        Tests.TryGetValue(name, out var test) ? test(value, arguments) : throw arguments.Context.Error($"No test named '{name}'.");

    static JinjaNode At(JinjaArguments a) => new LiteralExpr(null, a.Context.Line, a.Context.Column);

    static long Integer(object? v, JinjaArguments a) => v is long or bool ? PyValue.ToLong(v)
        : v is double d ? (long)d : throw a.Context.Error($"unsupported operand type(s) for %: '{PyValue.TypeName(v)}' and 'int'");

    static bool SameAs(object? a, object? b) => a is null || b is null || a is bool || b is bool ? Equals(a, b) && a?.GetType() == b?.GetType() : ReferenceEquals(a, b);
}
