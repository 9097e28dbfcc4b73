using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Templating.Jinja;

/// <summary>
/// A compiled Jinja template rendered as transformers renders chat templates: ImmutableSandboxedEnvironment,
/// trim_blocks, lstrip_blocks, loop controls, transformers' tojson, raise_exception and strftime_now.
/// </summary>
internal sealed class JinjaTemplate
{
    readonly IReadOnlyList<Stmt> body;

    JinjaTemplate(IReadOnlyList<Stmt> body) => this.body = body;

    /// <summary>Parses the whole template; a syntax error or an unknown filter/test is a <see cref="JinjaException"/>.</summary>
    public static JinjaTemplate Parse(string source) => new(JinjaParser.Parse(JinjaLexer.Normalize(source)));

    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var evaluator = new JinjaEvaluator(JinjaGlobals.Create(now ?? (() => DateTime.Now)));
        var scope = new JinjaScope(null);
        foreach (var (name, value) in variables) scope.Set(name, value);
        return evaluator.RenderToString(body, scope);
    }

    /// <summary>A JSON value as the Python value json.loads gives: "3" is an int, "3.0" a float.</summary>
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.Aggregate(new JinjaDict(), (d, p) => { d.Set(p.Key, FromJson(p.Value)); return d; }),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v => FromJsonValue(v),
        _ => throw new ArgumentException($"unsupported JSON node {node.GetType().Name}"),
    };

    static object? FromJsonValue(JsonValue v)
    {
        if (v.TryGetValue<JsonElement>(out var element)) return FromJsonElement(element);
        return v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number when v.TryGetValue<long>(out var l) => l,
            JsonValueKind.Number when v.TryGetValue<int>(out var i) => (long)i,
            JsonValueKind.Number => v.GetValue<double>(),
            _ => FromJson(JsonNode.Parse(v.ToJsonString())),
        };
    }

    static object? FromJsonElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText() is var raw && raw.IndexOfAny(['.', 'e', 'E']) < 0 && e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
        JsonValueKind.Object => FromJson(JsonNode.Parse(e.GetRawText())),
        JsonValueKind.Array => FromJson(JsonNode.Parse(e.GetRawText())),
        _ => null,
    };
}
