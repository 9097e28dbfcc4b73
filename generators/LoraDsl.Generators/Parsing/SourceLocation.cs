using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LoraDsl.Generators.Parsing;

/// <summary>A location as plain values (a <see cref="Location"/> would pin a syntax tree in the pipeline).</summary>
public sealed record SourceLocation(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static SourceLocation From(SyntaxNode node) =>
        new(node.SyntaxTree.FilePath, node.Span, node.SyntaxTree.GetLineSpan(node.Span).Span);

    public static SourceLocation From(SyntaxToken token) =>
        new(token.SyntaxTree!.FilePath, token.Span, token.SyntaxTree.GetLineSpan(token.Span).Span);

    /// <summary>From the start of <paramref name="first"/> to the end of <paramref name="last"/> (several arguments).</summary>
    public static SourceLocation Spanning(SyntaxNode first, SyntaxNode last)
    {
        var span = TextSpan.FromBounds(first.SpanStart, last.Span.End);
        return new(first.SyntaxTree.FilePath, span, first.SyntaxTree.GetLineSpan(span).Span);
    }

    /// <summary>The location in <paramref name="compilation"/>'s tree of that path, else an external-file location.</summary>
    public Location ToLocation(Compilation compilation)
    {
        foreach (var tree in compilation.SyntaxTrees)
            if (tree.FilePath == FilePath) return Location.Create(tree, Span);
        return Location.Create(FilePath, Span, LineSpan);
    }
}
