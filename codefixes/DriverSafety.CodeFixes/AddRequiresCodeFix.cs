using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV1001 / DRV1002: "Add [Requires("L")] to 'M'" — the method states that its caller must hold the lock, as Clang's
    /// thread-safety analysis suggests propagating a requirement. Offered where the lock can be named in the method's own
    /// frame (this, its parameters, a static member). FixAll adds one attribute per method with every lock it needs.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddRequiresCodeFix))]
    [Shared]
    public sealed class AddRequiresCodeFix : CodeFixProvider
    {
        /// <summary>The diagnostic property that carries the lock expression, written in the reporting method's frame.</summary>
        public const string LockProperty = "RequiresLock";

        private const string EquivalenceKey = nameof(AddRequiresCodeFix);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DRV1001", "DRV1002");

        public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (Target(root, diagnostic) is not { } target)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Add [Requires(\"{target.Lock}\")] to '{target.Method.Identifier.ValueText}'",
                        ct => ApplyAsync(context.Document, new[] { target }, ct),
                        EquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return null;
            }

            var targets = diagnostics.Select(d => Target(root, d)).Where(t => t is not null).Select(t => t!.Value).ToArray();
            return targets.Length == 0 ? null : await ApplyAsync(document, targets, context.CancellationToken).ConfigureAwait(false);
        }

        private static (MethodDeclarationSyntax Method, string Lock)? Target(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(LockProperty, out var lockText) || string.IsNullOrEmpty(lockText))
            {
                return null;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            foreach (var ancestor in node.AncestorsAndSelf())
            {
                if (ancestor is AnonymousFunctionExpressionSyntax)
                {
                    return null;
                }

                if (ancestor is MethodDeclarationSyntax method)
                {
                    return (method, lockText!);
                }
            }

            return null;
        }

        private static async Task<Document> ApplyAsync(Document document, IEnumerable<(MethodDeclarationSyntax Method, string Lock)> targets, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            var byMethod = targets
                .GroupBy(t => t.Method)
                .ToDictionary(g => g.Key, g => g.Select(t => t.Lock).Distinct().OrderBy(l => l, System.StringComparer.Ordinal).ToArray());

            var endOfLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var newLine = endOfLine == default ? SyntaxFactory.EndOfLine("\n") : endOfLine;
            var newRoot = root.ReplaceNodes(byMethod.Keys, (original, rewritten) => AddRequires(rewritten, byMethod[original], newLine));
            if (newRoot is CompilationUnitSyntax unit && !unit.Usings.Any(u => u.Name?.ToString() == "DriverSafety") && !InDriverSafetyNamespace(byMethod.Keys.First()))
            {
                newRoot = unit.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName("DriverSafety")).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation));
            }

            return document.WithSyntaxRoot(newRoot);
        }

        private static MethodDeclarationSyntax AddRequires(MethodDeclarationSyntax method, string[] locks, SyntaxTrivia newLine)
        {
            var present = new HashSet<string>(method.AttributeLists
                .SelectMany(l => l.Attributes)
                .Where(a => a.Name.ToString() is "Requires" or "RequiresAttribute" or "DriverSafety.Requires" or "DriverSafety.RequiresAttribute")
                .SelectMany(a => a.ArgumentList?.Arguments ?? default)
                .Select(a => a.Expression)
                .OfType<LiteralExpressionSyntax>()
                .Select(l => l.Token.ValueText));
            var missing = locks.Where(l => !present.Contains(l)).ToArray();
            if (missing.Length == 0)
            {
                return method;
            }

            var attribute = SyntaxFactory.Attribute(
                SyntaxFactory.IdentifierName("Requires"),
                SyntaxFactory.AttributeArgumentList(SyntaxFactory.SeparatedList(missing.Select(l =>
                    SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(l)))))));

            // The new attribute list takes over the method's leading trivia (indentation, doc comment) so the layout stays.
            var leading = method.GetLeadingTrivia();
            var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
                .WithLeadingTrivia(leading)
                .WithTrailingTrivia(newLine);
            var indentation = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
            var stripped = method.WithoutLeadingTrivia();
            var rest = indentation == default ? stripped : stripped.WithLeadingTrivia(indentation);
            return rest.WithAttributeLists(rest.AttributeLists.Insert(0, list));
        }

        private static bool InDriverSafetyNamespace(SyntaxNode node) =>
            node.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString() == "DriverSafety" || n.Name.ToString().StartsWith("DriverSafety.", System.StringComparison.Ordinal));
    }
}
