using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>Runs a parsed template: statements write to the output, expressions evaluate to Python-like values.</summary>
internal sealed class JinjaEvaluator
{
    enum Flow { Normal, Break, Continue }

    readonly IReadOnlyDictionary<string, object?> globals;
    int depth;

    public JinjaEvaluator(IReadOnlyDictionary<string, object?> globals) => this.globals = globals;

    public string RenderToString(IReadOnlyList<Stmt> body, JinjaScope scope)
    {
        var sb = new StringBuilder();
        if (++depth > 200) throw new JinjaException("maximum recursion depth exceeded", body.FirstOrDefault()?.Line ?? 1, body.FirstOrDefault()?.Column ?? 1);
        try
        {
            if (Execute(body, scope, sb) != Flow.Normal) throw new JinjaException("break or continue outside of a loop", body[0].Line, body[0].Column);
        }
        finally { depth--; }
        return sb.ToString();
    }

    Flow Execute(IReadOnlyList<Stmt> body, JinjaScope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            var flow = Execute(stmt, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow Execute(Stmt stmt, JinjaScope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt t:
                output.Append(t.Text);
                return Flow.Normal;
            case PrintStmt p:
                output.Append(PyValue.Str(Evaluate(p.Value, scope)));
                return Flow.Normal;
            case IfStmt i:
                foreach (var (test, branch) in i.Branches)
                    if (PyValue.IsTrue(Evaluate(test, scope))) return Execute(branch, scope, output);
                return i.Else is null ? Flow.Normal : Execute(i.Else, scope, output);
            case ForStmt f:
                ExecuteFor(f, scope, output);
                return Flow.Normal;
            case SetStmt s:
                Assign(s.Target, Evaluate(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt sb:
                object? captured = RenderToString(sb.Body, new JinjaScope(scope));
                foreach (var filter in sb.Filters) captured = ApplyFilter(filter, captured, scope);
                Assign(sb.Target, captured, scope);
                return Flow.Normal;
            case MacroStmt m:
                scope.Set(m.Name, new JinjaMacro(m, scope));
                return Flow.Normal;
            case CallBlockStmt c:
                var caller = new JinjaMacro(new MacroStmt("caller", c.Parameters, c.Body, c.Line, c.Column), scope);
                var callee = Evaluate(c.Call.Callee, scope);
                var (positional, named) = EvaluateArguments(c.Call.Arguments, scope);
                var withCaller = new Dictionary<string, object?>(named) { ["caller"] = caller };
                output.Append(PyValue.Str(Invoke(callee, positional, withCaller, c.Call)));
                return Flow.Normal;
            case FilterBlockStmt fb:
                object? text = RenderToString(fb.Body, new JinjaScope(scope));
                foreach (var filter in fb.Filters) text = ApplyFilter(filter, text, scope);
                output.Append(PyValue.Str(text));
                return Flow.Normal;
            case LoopControlStmt lc:
                return lc.IsBreak ? Flow.Break : Flow.Continue;
            case GenerationStmt g:
                return Execute(g.Body, scope, output);
            default:
                throw new JinjaException($"unsupported statement {stmt.GetType().Name}", stmt.Line, stmt.Column);
        }
    }

    void ExecuteFor(ForStmt f, JinjaScope scope, StringBuilder output)
    {
        var source = Iterate(Evaluate(f.Iterable, scope), f.Iterable);
        var items = new List<object?>();
        if (f.Filter is null) items.AddRange(source);
        else
        {
            foreach (var item in source)
            {
                var probe = new JinjaScope(scope);
                Assign(f.Target, item, probe);
                if (PyValue.IsTrue(Evaluate(f.Filter, probe))) items.Add(item);
            }
        }
        if (items.Count == 0)
        {
            if (f.Else is not null) Execute(f.Else, new JinjaScope(scope), output);
            return;
        }
        // loop.depth counts recursive calls only: a nested (non-recursive) loop is depth 1 too.
        var loop = new LoopContext(items, 0);
        for (var i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var body = new JinjaScope(scope);
            body.Set("loop", loop);
            Assign(f.Target, items[i], body);
            if (Execute(f.Body, body, output) == Flow.Break) break;
        }
    }

    void Assign(Expr target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case TupleExpr t:
                var items = Iterate(value, target).ToList();
                if (items.Count != t.Items.Count)
                    throw new JinjaException($"cannot unpack {items.Count} values into {t.Items.Count} names", target.Line, target.Column);
                for (var i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                break;
            case AttributeExpr a:
                var owner = Evaluate(a.Target, scope);
                if (owner is not JinjaNamespace ns)
                    throw new JinjaException("cannot assign attribute on non-namespace object", a.Line, a.Column);
                ns.Attributes[a.Name] = value;
                break;
            default:
                throw new JinjaException("cannot assign to this expression", target.Line, target.Column);
        }
    }

    /// <summary>Python iteration: a list's items, a dict's keys, a string's characters; Undefined iterates as empty.</summary>
    public IEnumerable<object?> Iterate(object? value, JinjaNode at) => value switch
    {
        List<object?> l => l.ToList(),
        JinjaTuple t => t.Items,
        JinjaDict d => d.Keys.ToList(),
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
        Undefined => [],
        _ => throw new JinjaException($"'{PyValue.TypeName(value)}' object is not iterable", at.Line, at.Column),
    };

    public object? Evaluate(Expr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                if (scope.TryGet(n.Name, out var v) || globals.TryGetValue(n.Name, out v)) return v;
                return Undefined.Name(n.Name);
            case ListExpr l:
                return l.Items.Select(i => Evaluate(i, scope)).ToList();
            case TupleExpr t:
                return new JinjaTuple(t.Items.Select(i => Evaluate(i, scope)).ToList());
            case DictExpr d:
                var dict = new JinjaDict();
                foreach (var (k, x) in d.Pairs) dict.Set(Evaluate(k, scope), Evaluate(x, scope));
                return dict;
            case AttributeExpr a:
                return JinjaAccess.Attribute(Evaluate(a.Target, scope), a.Name, a);
            case ItemExpr i:
                var target = Evaluate(i.Target, scope);
                if (i.Index is SliceExpr s)
                    return JinjaAccess.Slice(target, Optional(s.Start, scope), Optional(s.Stop, scope), Optional(s.Step, scope), s);
                return JinjaAccess.Item(target, Evaluate(i.Index, scope), i);
            case CallExpr c:
                var callee = Evaluate(c.Callee, scope);
                var (positional, named) = EvaluateArguments(c.Arguments, scope);
                return Invoke(callee, positional, named, c);
            case FilterExpr f:
                return ApplyFilter(f, Evaluate(f.Target!, scope), scope);
            case TestExpr t:
                var result = ApplyTest(t, scope);
                return t.Negated ? !result : result;
            case UnaryExpr u:
                var operand = Evaluate(u.Operand, scope);
                return u.Operator switch
                {
                    "not" => !PyValue.IsTrue(operand),
                    "-" => JinjaOperators.Negate(operand, u),
                    _ => JinjaOperators.Plus(operand, u),
                };
            case BinaryExpr b:
                if (b.Operator == "and")
                {
                    var left = Evaluate(b.Left, scope);
                    return PyValue.IsTrue(left) ? Evaluate(b.Right, scope) : left;
                }
                if (b.Operator == "or")
                {
                    var left = Evaluate(b.Left, scope);
                    return PyValue.IsTrue(left) ? left : Evaluate(b.Right, scope);
                }
                return JinjaOperators.Binary(b.Operator, Evaluate(b.Left, scope), Evaluate(b.Right, scope), b);
            case ConditionalExpr c:
                if (PyValue.IsTrue(Evaluate(c.Test, scope))) return Evaluate(c.Then, scope);
                return c.Else is null ? new Undefined("the inline if-expression evaluated to false and no else section was defined.") : Evaluate(c.Else, scope);
            default:
                throw new JinjaException($"unsupported expression {expr.GetType().Name}", expr.Line, expr.Column);
        }
    }

    object? Optional(Expr? e, JinjaScope scope) => e is null ? null : Evaluate(e, scope);

    (List<object?> Positional, Dictionary<string, object?> Named) EvaluateArguments(CallArguments arguments, JinjaScope scope)
    {
        var positional = arguments.Positional.Select(a => Evaluate(a, scope)).ToList();
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Named) named[name] = Evaluate(value, scope);
        return (positional, named);
    }

    public object? Invoke(object? callee, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named, JinjaNode at)
    {
        if (callee is Undefined u) throw new JinjaException(u.Hint, at.Line, at.Column);
        if (callee is not JinjaCallable callable) throw new JinjaException($"'{PyValue.TypeName(callee)}' object is not callable", at.Line, at.Column);
        return callable.Call(new JinjaCallContext(this, at.Line, at.Column), positional, named);
    }

    object? ApplyFilter(FilterExpr f, object? value, JinjaScope scope)
    {
        var (positional, named) = EvaluateArguments(f.Arguments, scope);
        var context = new JinjaCallContext(this, f.Line, f.Column);
        return JinjaFilters.Apply(f.Name, value, new JinjaArguments(context, f.Name, positional, named));
    }

    bool ApplyTest(TestExpr t, JinjaScope scope)
    {
        var value = Evaluate(t.Target, scope);
        var (positional, named) = EvaluateArguments(t.Arguments, scope);
        var context = new JinjaCallContext(this, t.Line, t.Column);
        return JinjaTests.Apply(t.Name, value, new JinjaArguments(context, t.Name, positional, named));
    }
}
