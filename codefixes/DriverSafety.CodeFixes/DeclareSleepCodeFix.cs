using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.CodeFixes.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV9003: "Add [MightSleep] to 'M'" — the public method that may sleep says so, and callers in other assemblies
    /// (where only annotations count) see it; where the finding says the method sleeps only by its flags parameter,
    /// "Add [Allocates("gfp")] to 'M'" is offered first, so callers passing non-sleeping flags stay clean. The attribute
    /// goes in its own list before the method's other attributes; <c>using DriverSafety;</c> is added where the name would
    /// not resolve.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeclareSleepCodeFix))]
    [Shared]
    public sealed class DeclareSleepCodeFix : CodeFixProvider
    {
        public const string MightSleepKey = nameof(DeclareSleepCodeFix) + ".MightSleep";
        public const string AllocatesKey = nameof(DeclareSleepCodeFix) + ".Allocates";
        private const string Id = "DRV9003";

        private static readonly Regex FlagsParameter = new Regex("\\[Allocates\\(\"(?<name>[A-Za-z_][A-Za-z0-9_]*)\"\\)\\] since it sleeps only by its flags", RegexOptions.CultureInvariant);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Id);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                var declaration = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<BaseMethodDeclarationSyntax>().FirstOrDefault();
                if (declaration is null || model.GetDeclaredSymbol(declaration, context.CancellationToken) is not IMethodSymbol method)
                {
                    continue;
                }

                var name = method.MethodKind == MethodKind.Constructor ? method.ContainingType.Name : method.Name;
                var flags = MessageArguments.Of(diagnostic, 3) is { } hint && FlagsParameter.Match(hint) is { Success: true } match ? match.Groups["name"].Value : null;
                if (flags is not null && method.Parameters.Any(p => p.Name == flags))
                {
                    var allocates = SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("Allocates"), SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(flags))))));
                    context.RegisterCodeFix(CodeAction.Create($"Add [Allocates(\"{flags}\")] to '{name}'",
                        ct => AddAsync(context.Document, declaration.SpanStart, allocates, ct), AllocatesKey), diagnostic);
                }

                context.RegisterCodeFix(CodeAction.Create($"Add [MightSleep] to '{name}'",
                    ct => AddAsync(context.Document, declaration.SpanStart, SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("MightSleep")), ct), MightSleepKey), diagnostic);
            }
        }

        private static async Task<Document> AddAsync(Document document, int position, AttributeSyntax attribute, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            if (root is null || model is null || root.FindToken(position).Parent?.AncestorsAndSelf().OfType<BaseMethodDeclarationSyntax>().FirstOrDefault() is not { } declaration)
            {
                return document;
            }

            // The name resolves where the method is (a using, or the DriverSafety namespace itself)? Otherwise add the using.
            var resolves = model.LookupNamespacesAndTypes(declaration.SpanStart, name: attribute.Name + "Attribute")
                .Any(s => s.ContainingNamespace?.Name == "DriverSafety" && s.ContainingNamespace.ContainingNamespace?.IsGlobalNamespace == true);

            // The new list takes the declaration's leading trivia (doc comment, indentation); what followed it starts on a
            // new line with the same indentation.
            var leading = declaration.GetLeadingTrivia();
            var indentation = leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? leading[leading.Count - 1] : SyntaxFactory.Whitespace(string.Empty);
            var newLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } eol && eol.IsKind(SyntaxKind.EndOfLineTrivia) ? eol : SyntaxFactory.LineFeed;
            var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute)).WithLeadingTrivia(leading).WithTrailingTrivia(newLine);
            var edited = declaration.WithoutLeadingTrivia().WithLeadingTrivia(indentation);
            edited = edited.WithAttributeLists(edited.AttributeLists.Insert(0, list));

            var newRoot = root.ReplaceNode(declaration, edited);
            if (!resolves && newRoot is CompilationUnitSyntax unit && !unit.Usings.Any(u => u.Name?.ToString() == "DriverSafety"))
            {
                newRoot = unit.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName("DriverSafety")).WithAdditionalAnnotations(Formatter.Annotation));
            }

            return document.WithSyntaxRoot(newRoot);
        }
    }
}
