namespace LoraDsl.Templating.Jinja;

/// <summary>Builds the syntax tree from tokens with Jinja2's grammar and operator precedence.</summary>
internal sealed class JinjaParser
{
    static readonly HashSet<string> CompareOperators = ["==", "!=", "<", "<=", ">", ">="];
    static readonly HashSet<string> Unsupported = ["extends", "block", "include", "import", "from", "with", "autoescape", "do", "trans"];

    readonly List<JinjaToken> tokens;
    int index;

    JinjaParser(List<JinjaToken> tokens) => this.tokens = tokens;

    public static IReadOnlyList<Stmt> Parse(string normalizedSource)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(normalizedSource));
        var body = parser.ParseStatements([]);
        if (parser.Current.Kind != JinjaTokenKind.End) throw Error($"unexpected '{parser.Current.Text}'", parser.Current);
        return body;
    }

    JinjaToken Current => tokens[index];

    JinjaToken Peek(int ahead = 1) => tokens[Math.Min(index + ahead, tokens.Count - 1)];

    JinjaToken Next() => tokens[index++];

    static JinjaException Error(string message, JinjaToken at) => new(message, at.Line, at.Column);

    JinjaToken Expect(JinjaTokenKind kind, string? text = null)
    {
        var t = Current;
        if (t.Kind != kind || (text is not null && t.Text != text))
        {
            var wanted = text ?? kind switch
            {
                JinjaTokenKind.BlockEnd => "end of statement block",
                JinjaTokenKind.VariableEnd => "end of print statement",
                JinjaTokenKind.Name => "name",
                _ => kind.ToString(),
            };
            var got = t.Kind == JinjaTokenKind.End ? "end of template" : $"'{t.Text}'";
            throw Error($"expected '{wanted}', got {got}", t);
        }
        index++;
        return t;
    }

    bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        index++;
        return true;
    }

    bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        index++;
        return true;
    }

    /// <summary>Statements until a block tag whose name is one of <paramref name="endNames"/> (left unconsumed: `{%` is current).</summary>
    List<Stmt> ParseStatements(IReadOnlyCollection<string> endNames)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case JinjaTokenKind.End:
                    if (endNames.Count > 0) throw Error($"unexpected end of template, expected '{string.Join("' or '", endNames)}'", t);
                    return body;
                case JinjaTokenKind.Data:
                    index++;
                    body.Add(new TextStmt((string)t.Value!, t.Line, t.Column));
                    break;
                case JinjaTokenKind.VariableBegin:
                    index++;
                    var value = ParseTuple();
                    Expect(JinjaTokenKind.VariableEnd);
                    body.Add(new PrintStmt(value, t.Line, t.Column));
                    break;
                case JinjaTokenKind.BlockBegin:
                    var name = Peek();
                    if (name.Kind == JinjaTokenKind.Name && endNames.Contains(name.Text)) return body;
                    index++;
                    body.Add(ParseStatement(t));
                    break;
                default:
                    throw Error($"unexpected '{t.Text}'", t);
            }
        }
    }

    Stmt ParseStatement(JinjaToken begin)
    {
        var keyword = Current;
        if (keyword.Kind != JinjaTokenKind.Name) throw Error("tag name expected", keyword);
        index++;
        switch (keyword.Text)
        {
            case "if": return ParseIf(keyword);
            case "for": return ParseFor(keyword);
            case "set": return ParseSet(keyword);
            case "macro": return ParseMacro(keyword);
            case "call": return ParseCallBlock(keyword);
            case "filter": return ParseFilterBlock(keyword);
            case "break" or "continue":
                Expect(JinjaTokenKind.BlockEnd);
                return new LoopControlStmt(keyword.Text == "break", keyword.Line, keyword.Column);
            case "generation":
                Expect(JinjaTokenKind.BlockEnd);
                var body = ParseStatements(["endgeneration"]);
                EndBlock("endgeneration");
                return new GenerationStmt(body, keyword.Line, keyword.Column);
            default:
                if (Unsupported.Contains(keyword.Text))
                    throw Error($"the '{keyword.Text}' tag is not supported by this renderer (chat templates are rendered standalone)", keyword);
                throw Error($"Encountered unknown tag '{keyword.Text}'", keyword);
        }
    }

    void EndBlock(string name)
    {
        Expect(JinjaTokenKind.BlockBegin);
        Expect(JinjaTokenKind.Name, name);
        Expect(JinjaTokenKind.BlockEnd);
    }

    IfStmt ParseIf(JinjaToken keyword)
    {
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        List<Stmt>? elseBody = null;
        var test = ParseTuple(withCondition: false);
        Expect(JinjaTokenKind.BlockEnd);
        while (true)
        {
            var body = ParseStatements(["elif", "else", "endif"]);
            branches.Add((test, body));
            Expect(JinjaTokenKind.BlockBegin);
            var tag = Next();
            if (tag.Text == "elif")
            {
                test = ParseTuple(withCondition: false);
                Expect(JinjaTokenKind.BlockEnd);
                continue;
            }
            if (tag.Text == "else")
            {
                Expect(JinjaTokenKind.BlockEnd);
                elseBody = ParseStatements(["endif"]);
                EndBlock("endif");
            }
            else Expect(JinjaTokenKind.BlockEnd);
            return new IfStmt(branches, elseBody, keyword.Line, keyword.Column);
        }
    }

    ForStmt ParseFor(JinjaToken keyword)
    {
        var target = ParseAssignTarget(["in"], withNamespace: false);
        Expect(JinjaTokenKind.Name, "in");
        var iterable = ParseTuple(withCondition: false, extraEnd: ["recursive"]);
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        if (Current.IsName("recursive")) throw Error("recursive loops are not supported by this renderer", Current);
        Expect(JinjaTokenKind.BlockEnd);
        var body = ParseStatements(["endfor", "else"]);
        List<Stmt>? elseBody = null;
        Expect(JinjaTokenKind.BlockBegin);
        if (Next().Text == "else")
        {
            Expect(JinjaTokenKind.BlockEnd);
            elseBody = ParseStatements(["endfor"]);
            EndBlock("endfor");
        }
        else Expect(JinjaTokenKind.BlockEnd);
        return new ForStmt(target, iterable, filter, body, elseBody, keyword.Line, keyword.Column);
    }

    Stmt ParseSet(JinjaToken keyword)
    {
        var target = ParseAssignTarget([], withNamespace: true);
        if (SkipOperator("="))
        {
            var value = ParseTuple();
            Expect(JinjaTokenKind.BlockEnd);
            return new SetStmt(target, value, keyword.Line, keyword.Column);
        }
        var filters = ParseFilterChain();
        Expect(JinjaTokenKind.BlockEnd);
        var body = ParseStatements(["endset"]);
        EndBlock("endset");
        return new SetBlockStmt(target, filters, body, keyword.Line, keyword.Column);
    }

    MacroStmt ParseMacro(JinjaToken keyword)
    {
        var name = Expect(JinjaTokenKind.Name).Text;
        var parameters = ParseSignature();
        Expect(JinjaTokenKind.BlockEnd);
        var body = ParseStatements(["endmacro"]);
        EndBlock("endmacro");
        return new MacroStmt(name, parameters, body, keyword.Line, keyword.Column);
    }

    List<MacroParameter> ParseSignature()
    {
        var parameters = new List<MacroParameter>();
        Expect(JinjaTokenKind.Operator, "(");
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) Expect(JinjaTokenKind.Operator, ",");
            if (Current.IsOperator(")")) break;
            var name = Expect(JinjaTokenKind.Name).Text;
            Expr? defaultValue = SkipOperator("=") ? ParseExpression() : null;
            parameters.Add(new MacroParameter(name, defaultValue));
        }
        Expect(JinjaTokenKind.Operator, ")");
        return parameters;
    }

    CallBlockStmt ParseCallBlock(JinjaToken keyword)
    {
        var parameters = Current.IsOperator("(") ? ParseSignature() : [];
        var call = ParseExpression() as CallExpr ?? throw Error("expected call", keyword);
        Expect(JinjaTokenKind.BlockEnd);
        var body = ParseStatements(["endcall"]);
        EndBlock("endcall");
        return new CallBlockStmt(call, parameters, body, keyword.Line, keyword.Column);
    }

    FilterBlockStmt ParseFilterBlock(JinjaToken keyword)
    {
        var filters = new List<FilterExpr> { ParseFilter(null, requirePipe: false) };
        filters.AddRange(ParseFilterChain());
        Expect(JinjaTokenKind.BlockEnd);
        var body = ParseStatements(["endfilter"]);
        EndBlock("endfilter");
        return new FilterBlockStmt(filters, body, keyword.Line, keyword.Column);
    }

    List<FilterExpr> ParseFilterChain()
    {
        var filters = new List<FilterExpr>();
        while (Current.IsOperator("|")) filters.Add(ParseFilter(null, requirePipe: true));
        return filters;
    }

    Expr ParseAssignTarget(IReadOnlyCollection<string> extraEnd, bool withNamespace)
    {
        var start = Current;
        if (withNamespace && Current.Kind == JinjaTokenKind.Name && Peek().IsOperator("."))
        {
            var ns = Next();
            index++;
            var attr = Expect(JinjaTokenKind.Name);
            return new AttributeExpr(new NameExpr(ns.Text, ns.Line, ns.Column), attr.Text, ns.Line, ns.Column);
        }
        var names = new List<Expr>();
        var sawComma = false;
        while (true)
        {
            var name = Expect(JinjaTokenKind.Name);
            names.Add(new NameExpr(name.Text, name.Line, name.Column));
            if (!SkipOperator(",")) break;
            sawComma = true;
            if (Current.Kind != JinjaTokenKind.Name || extraEnd.Contains(Current.Text)) break;
        }
        return names.Count == 1 && !sawComma ? names[0] : new TupleExpr(names, start.Line, start.Column);
    }

    bool IsTupleEnd(IReadOnlyCollection<string>? extraEnd) =>
        Current.Kind is JinjaTokenKind.VariableEnd or JinjaTokenKind.BlockEnd or JinjaTokenKind.End
        || Current.IsOperator(")") || Current.IsOperator("=")
        || (extraEnd is not null && Current.Kind == JinjaTokenKind.Name && extraEnd.Contains(Current.Text));

    Expr ParseTuple(bool withCondition = true, IReadOnlyCollection<string>? extraEnd = null, bool explicitParentheses = false)
    {
        var start = Current;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(JinjaTokenKind.Operator, ",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(withCondition ? ParseExpression() : ParseOr());
            if (Current.IsOperator(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count == 1) return items[0];
            if (!explicitParentheses) throw Error($"Expected an expression, got '{(Current.Kind == JinjaTokenKind.End ? "end of template" : Current.Text)}'", Current);
        }
        return new TupleExpr(items, start.Line, start.Column);
    }

    Expr ParseExpression()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            var t = Next();
            var test = ParseOr();
            Expr? elseExpr = SkipName("else") ? ParseExpression() : null;
            expr = new ConditionalExpr(test, expr, elseExpr, t.Line, t.Column);
        }
        return expr;
    }

    Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var t = Next();
            left = new BinaryExpr("or", left, ParseAnd(), t.Line, t.Column);
        }
        return left;
    }

    Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var t = Next();
            left = new BinaryExpr("and", left, ParseNot(), t.Line, t.Column);
        }
        return left;
    }

    Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var t = Next();
            return new UnaryExpr("not", ParseNot(), t.Line, t.Column);
        }
        return ParseCompare();
    }

    Expr ParseCompare()
    {
        var left = ParseMath1();
        Expr? chain = null;
        while (true)
        {
            var t = Current;
            string op;
            if (t.Kind == JinjaTokenKind.Operator && CompareOperators.Contains(t.Text)) { index++; op = t.Text; }
            else if (t.IsName("in")) { index++; op = "in"; }
            else if (t.IsName("not") && Peek().IsName("in")) { index += 2; op = "not in"; }
            else break;
            var right = ParseMath1();
            var comparison = new BinaryExpr(op, left, right, t.Line, t.Column);
            // a < b < c is (a < b) and (b < c), as in Python.
            chain = chain is null ? comparison : new BinaryExpr("and", chain, comparison, t.Line, t.Column);
            left = right;
        }
        return chain ?? left;
    }

    Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.Text, left, ParseConcat(), t.Line, t.Column);
        }
        return left;
    }

    Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            var t = Next();
            left = new BinaryExpr("~", left, ParseMath2(), t.Line, t.Column);
        }
        return left;
    }

    Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var t = Next();
            left = new BinaryExpr(t.Text, left, ParsePow(), t.Line, t.Column);
        }
        return left;
    }

    Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            var t = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), t.Line, t.Column);
        }
        return left;
    }

    Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Expr node;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            index++;
            node = new UnaryExpr(t.Text, ParseUnary(withFilter: false), t.Line, t.Column);
        }
        else node = ParsePostfix(ParsePrimary());
        return withFilter ? ParseFilterExpr(node) : node;
    }

    Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case JinjaTokenKind.Name:
                index++;
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line, t.Column),
                    "false" or "False" => new LiteralExpr(false, t.Line, t.Column),
                    "none" or "None" => new LiteralExpr(null, t.Line, t.Column),
                    _ => new NameExpr(t.Text, t.Line, t.Column),
                };
            case JinjaTokenKind.String:
                index++;
                var text = (string)t.Value!;
                while (Current.Kind == JinjaTokenKind.String) text += (string)Next().Value!;
                return new LiteralExpr(text, t.Line, t.Column);
            case JinjaTokenKind.Integer or JinjaTokenKind.Float:
                index++;
                return new LiteralExpr(t.Value, t.Line, t.Column);
            case JinjaTokenKind.Operator when t.Text == "(":
                index++;
                var inner = ParseTuple(explicitParentheses: true);
                Expect(JinjaTokenKind.Operator, ")");
                return inner;
            case JinjaTokenKind.Operator when t.Text == "[":
                index++;
                var items = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (items.Count > 0) Expect(JinjaTokenKind.Operator, ",");
                    if (Current.IsOperator("]")) break;
                    items.Add(ParseExpression());
                }
                Expect(JinjaTokenKind.Operator, "]");
                return new ListExpr(items, t.Line, t.Column);
            case JinjaTokenKind.Operator when t.Text == "{":
                index++;
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (pairs.Count > 0) Expect(JinjaTokenKind.Operator, ",");
                    if (Current.IsOperator("}")) break;
                    var key = ParseExpression();
                    Expect(JinjaTokenKind.Operator, ":");
                    pairs.Add((key, ParseExpression()));
                }
                Expect(JinjaTokenKind.Operator, "}");
                return new DictExpr(pairs, t.Line, t.Column);
            default:
                throw Error(t.Kind == JinjaTokenKind.End ? "unexpected end of template" : $"unexpected '{t.Text}'", t);
        }
    }

    Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("."))
            {
                index++;
                var attr = Next();
                if (attr.Kind == JinjaTokenKind.Name) node = new AttributeExpr(node, attr.Text, t.Line, t.Column);
                else if (attr.Kind == JinjaTokenKind.Integer) node = new ItemExpr(node, new LiteralExpr(attr.Value, attr.Line, attr.Column), t.Line, t.Column);
                else throw Error("expected name or number", attr);
            }
            else if (t.IsOperator("["))
            {
                index++;
                node = new ItemExpr(node, ParseSubscript(), t.Line, t.Column);
                Expect(JinjaTokenKind.Operator, "]");
            }
            else if (t.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    Expr ParseSubscript()
    {
        var t = Current;
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (!Current.IsOperator(":")) return start;
        }
        index++;
        Expr? stop = Current.IsOperator("]") || Current.IsOperator(":") ? null : ParseExpression();
        Expr? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]")) step = ParseExpression();
        return new SliceExpr(start, stop, step, t.Line, t.Column);
    }

    CallExpr ParseCall(Expr callee)
    {
        Expect(JinjaTokenKind.Operator, "(");
        return new CallExpr(callee, ParseArguments(), callee.Line, callee.Column);
    }

    // After "(": positional and name=value arguments up to ")".
    CallArguments ParseArguments()
    {
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + named.Count > 0) Expect(JinjaTokenKind.Operator, ",");
            if (Current.IsOperator(")")) break;
            if (Current.IsOperator("*") || Current.IsOperator("**")) throw Error("*args and **kwargs in calls are not supported by this renderer", Current);
            if (Current.Kind == JinjaTokenKind.Name && Peek().IsOperator("="))
            {
                var name = Next().Text;
                index++;
                named.Add((name, ParseExpression()));
            }
            else
            {
                if (named.Count > 0) throw Error("invalid syntax for function call expression", Current);
                positional.Add(ParseExpression());
            }
        }
        Expect(JinjaTokenKind.Operator, ")");
        return new CallArguments(positional, named);
    }

    Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|")) node = ParseFilter(node, requirePipe: true);
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    FilterExpr ParseFilter(Expr? target, bool requirePipe)
    {
        if (requirePipe) Expect(JinjaTokenKind.Operator, "|");
        var nameToken = Expect(JinjaTokenKind.Name);
        var name = nameToken.Text;
        while (Current.IsOperator(".") && Peek().Kind == JinjaTokenKind.Name)
        {
            index++;
            name += "." + Next().Text;
        }
        var arguments = CallArguments.None;
        if (Current.IsOperator("("))
        {
            index++;
            arguments = ParseArguments();
        }
        return new FilterExpr(target, name, arguments, nameToken.Line, nameToken.Column);
    }

    Expr ParseTest(Expr target)
    {
        var isToken = Expect(JinjaTokenKind.Name, "is");
        var negated = SkipName("not");
        var nameToken = Expect(JinjaTokenKind.Name);
        var name = nameToken.Text;
        while (Current.IsOperator(".") && Peek().Kind == JinjaTokenKind.Name)
        {
            index++;
            name += "." + Next().Text;
        }
        var arguments = CallArguments.None;
        if (Current.IsOperator("("))
        {
            index++;
            arguments = ParseArguments();
        }
        else if (Current.Kind is JinjaTokenKind.Name or JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
                 || Current.IsOperator("[") || Current.IsOperator("{"))
        {
            if (!(Current.Kind == JinjaTokenKind.Name && Current.Text is "else" or "or" or "and" or "if"))
            {
                if (Current.IsName("is")) throw Error("You cannot chain multiple tests with is", Current);
                arguments = new CallArguments([ParsePostfix(ParsePrimary())], []);
            }
        }
        return new TestExpr(target, name, arguments, negated, isToken.Line, isToken.Column);
    }
}
