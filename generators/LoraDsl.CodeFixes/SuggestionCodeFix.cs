using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraDsl.CodeFixes;

/// <summary>
/// Replaces a misspelled name with the suggested one: a module (LORA001, "qproj" → "q_proj") or a setting key
/// (LORA017, "traning.lr" → "training.lr").
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SuggestionCodeFix)), Shared]
public sealed class SuggestionCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.UnknownModule.Id, DiagnosticDescriptors.UnknownSetting.Id];

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(RecipeValidator.SuggestionProperty, out var suggestion) || suggestion is null) continue;
            var literal = root.FindNode(diagnostic.Location.SourceSpan)
                .DescendantNodesAndSelf().OfType<LiteralExpressionSyntax>().FirstOrDefault(l => l.IsKind(SyntaxKind.StringLiteralExpression));
            if (literal is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use '{suggestion}'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal,
                        SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(suggestion)).WithTriviaFrom(literal)))),
                    equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }
}
