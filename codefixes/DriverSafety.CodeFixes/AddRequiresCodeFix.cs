using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.CodeFixes.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV1001 / DRV1002: "Add [Requires("L")] to 'M'" — the method states that its caller must hold the lock, as Clang's
    /// thread-safety analysis suggests propagating a requirement. Offered only where that moves the check to callers that
    /// exist and can meet it:
    /// <list type="bullet">
    /// <item>the lock can be named in the method's own frame (the analyzer's <c>RequiresLock</c> property);</item>
    /// <item>not for a lock held shared where the access needs it exclusively (the fix is an exclusive hold);</item>
    /// <item>not on an entry point whose callers are outside the compilation: a method visible outside the assembly, one
    /// converted to a delegate anywhere in the solution, a callback (<c>[AtomicContext]</c>, <c>[ReclaimContext]</c>), an
    /// override or interface implementation (its callers bind to the base member), the program's entry point;</item>
    /// <item>not where the method's own body would then break (its own acquire of the lock would be a DRV1005, its release
    /// a DRV1011): the edited body is analysed again.</item>
    /// </list>
    /// An existing <c>[Requires(...)]</c> is extended rather than a second one added; Fix All writes one attribute per
    /// method with every lock it needs.
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
            foreach (var diagnostic in context.Diagnostics)
            {
                if (await TargetAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false) is not { } target)
                {
                    continue;
                }

                var edited = await ApplyAsync(context.Document, new[] { target }, context.CancellationToken).ConfigureAwait(false);
                context.RegisterCodeFix(
                    CodeAction.Create($"Add [Requires(\"{target.Lock}\")] to '{target.Method.Identifier.ValueText}'", _ => Task.FromResult(edited), EquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var targets = new List<Target>();
            var seen = new HashSet<(MethodDeclarationSyntax, string)>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (await TargetAsync(document, diagnostic, context.CancellationToken).ConfigureAwait(false) is { } target && seen.Add((target.Method, target.Lock)))
                {
                    targets.Add(target);
                }
            }

            return targets.Count == 0 ? null : await ApplyAsync(document, targets, context.CancellationToken).ConfigureAwait(false);
        }

        private static async Task<Target?> TargetAsync(Document document, Diagnostic diagnostic, CancellationToken cancellation)
        {
            if (!diagnostic.Properties.TryGetValue(LockProperty, out var lockText) || string.IsNullOrEmpty(lockText) ||
                diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("(it is held shared)"))
            {
                return null;
            }

            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            if (root is null || model is null || Support.FixContracts.Known(document, model.Compilation, cancellation) is not { } known)
            {
                return null;
            }

            var method = EnclosingMethod(root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true));
            if (method is null || model.GetDeclaredSymbol(method, cancellation) is not { } symbol ||
                await IsEntryPointAsync(symbol, model.Compilation, known, document.Project.Solution, cancellation).ConfigureAwait(false))
            {
                return null;
            }

            var needsUsing = !model.LookupNamespacesAndTypes(method.SpanStart, name: "RequiresAttribute").Any(t => SymbolEqualityComparer.Default.Equals(t, known.Requires));
            var target = new Target(method, lockText!, needsUsing);
            var edited = await BodyCheck.EditAsync(document, method, marked => AddLocks(marked, new[] { target }), diagnostic.Id, cancellation).ConfigureAwait(false);
            return edited is null ? null : target;
        }

        private static MethodDeclarationSyntax? EnclosingMethod(SyntaxNode node)
        {
            foreach (var ancestor in node.AncestorsAndSelf())
            {
                if (ancestor is AnonymousFunctionExpressionSyntax)
                {
                    return null;
                }

                if (ancestor is MethodDeclarationSyntax method)
                {
                    return method;
                }
            }

            return null;
        }

        /// <summary>
        /// A method whose callers are not all in the compilation, or not all bound to it: a [Requires] on it would move the
        /// finding to callers that cannot see it.
        /// </summary>
        private static async Task<bool> IsEntryPointAsync(IMethodSymbol method, Compilation compilation, KnownSymbols known, Solution solution, CancellationToken cancellation)
        {
            if (IsVisibleOutsideAssembly(method) || method.IsOverride || !method.ExplicitInterfaceImplementations.IsEmpty || ImplementsInterface(method) ||
                method.GetAttributes().Any(a => KnownSymbols.Is(a, known.AtomicContext) || KnownSymbols.Is(a, known.ReclaimContext)) ||
                SymbolEqualityComparer.Default.Equals(compilation.GetEntryPoint(cancellation), method))
            {
                return true;
            }

            return await IsConvertedToDelegateAsync(method, solution, cancellation).ConfigureAwait(false);
        }

        /// <summary>Public, protected or protected internal, in types that all are too.</summary>
        private static bool IsVisibleOutsideAssembly(ISymbol symbol)
        {
            for (var current = symbol; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
            {
                if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool ImplementsInterface(IMethodSymbol method) =>
            method.ContainingType is { } type && type.AllInterfaces.SelectMany(i => i.GetMembers(method.Name)).Any(member =>
                SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method));

        /// <summary>A method group of <paramref name="method"/> converted to a delegate (or taken as a function pointer) anywhere in the solution.</summary>
        private static async Task<bool> IsConvertedToDelegateAsync(IMethodSymbol method, Solution solution, CancellationToken cancellation)
        {
            var references = await SymbolFinder.FindReferencesAsync(method, solution, cancellation).ConfigureAwait(false);
            foreach (var location in references.SelectMany(r => r.Locations))
            {
                var root = await location.Document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
                var model = await location.Document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
                if (root is null || model is null)
                {
                    continue;
                }

                for (SyntaxNode? node = root.FindNode(location.Location.SourceSpan, getInnermostNodeForTie: true); node is ExpressionSyntax; node = node.Parent)
                {
                    var operation = model.GetOperation(node, cancellation);
                    if (operation is IMethodReferenceOperation)
                    {
                        return true;
                    }

                    if (operation is IInvocationOperation or INameOfOperation)
                    {
                        break;
                    }
                }
            }

            return false;
        }

        private static async Task<Document> ApplyAsync(Document document, IReadOnlyList<Target> targets, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            return root is null ? document : document.WithSyntaxRoot(AddLocks(root, targets));
        }

        /// <summary>Adds each target's lock to its method (found again by position in <paramref name="root"/>), and <c>using DriverSafety;</c> where needed.</summary>
        private static SyntaxNode AddLocks(SyntaxNode root, IReadOnlyList<Target> targets)
        {
            var byMethod = new Dictionary<MethodDeclarationSyntax, List<string>>();
            foreach (var target in targets)
            {
                if (LockCode.Same(root, target.Method) is not { } method)
                {
                    continue;
                }

                if (!byMethod.TryGetValue(method, out var locks))
                {
                    locks = new List<string>();
                    byMethod.Add(method, locks);
                }

                if (!locks.Contains(target.Lock))
                {
                    locks.Add(target.Lock);
                }
            }

            if (byMethod.Count == 0)
            {
                return root;
            }

            var endOfLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var newLine = endOfLine == default ? SyntaxFactory.EndOfLine("\n") : endOfLine;
            var newRoot = root.ReplaceNodes(byMethod.Keys, (original, rewritten) => AddRequires(rewritten, byMethod[original], newLine));
            if (targets.Any(t => t.NeedsUsing) && newRoot is CompilationUnitSyntax unit && !unit.Usings.Any(u => u.Name?.ToString() == "DriverSafety"))
            {
                newRoot = unit.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName("DriverSafety")).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation));
            }

            return newRoot;
        }

        private static MethodDeclarationSyntax AddRequires(MethodDeclarationSyntax method, List<string> locks, SyntaxTrivia newLine)
        {
            var requires = method.AttributeLists.SelectMany(l => l.Attributes).Where(IsRequires).ToList();
            var present = new HashSet<string>(requires
                .SelectMany(a => Positional(a))
                .Select(a => a.Expression)
                .OfType<LiteralExpressionSyntax>()
                .Select(l => l.Token.ValueText));
            var missing = locks.Where(l => !present.Contains(l)).ToArray();
            if (missing.Length == 0)
            {
                return method;
            }

            // An exclusive [Requires] is extended: [Requires("A")] becomes [Requires("A", "B")], [Requires] (this) becomes [Requires("this", "B")].
            if (requires.FirstOrDefault(IsExclusive) is { } existing)
            {
                var arguments = existing.ArgumentList?.Arguments ?? default;
                var positional = Positional(existing).ToList();
                var added = new List<AttributeArgumentSyntax>();
                if (positional.Count == 0)
                {
                    added.Add(Argument("this"));
                }

                added.AddRange(missing.Select(Argument));
                var list = arguments.InsertRange(positional.Count, added);
                var argumentList = existing.ArgumentList is null
                    ? SyntaxFactory.AttributeArgumentList(list)
                    : existing.ArgumentList.WithArguments(list);
                return method.ReplaceNode(existing, existing.WithArgumentList(argumentList));
            }

            var attribute = SyntaxFactory.Attribute(
                SyntaxFactory.IdentifierName("Requires"),
                SyntaxFactory.AttributeArgumentList(SyntaxFactory.SeparatedList(missing.Select(Argument))));

            // The new attribute list takes over the method's leading trivia (indentation, doc comment) so the layout stays.
            var leading = method.GetLeadingTrivia();
            var attributeList = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
                .WithLeadingTrivia(leading)
                .WithTrailingTrivia(newLine);
            var indentation = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
            var stripped = method.WithoutLeadingTrivia();
            var rest = indentation == default ? stripped : stripped.WithLeadingTrivia(indentation);
            return rest.WithAttributeLists(rest.AttributeLists.Insert(0, attributeList));
        }

        private static AttributeArgumentSyntax Argument(string lockText) =>
            SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(lockText)));

        private static bool IsRequires(AttributeSyntax attribute) =>
            attribute.Name.ToString() is "Requires" or "RequiresAttribute" or "DriverSafety.Requires" or "DriverSafety.RequiresAttribute" or "global::DriverSafety.Requires" or "global::DriverSafety.RequiresAttribute";

        private static IEnumerable<AttributeArgumentSyntax> Positional(AttributeSyntax attribute) =>
            (attribute.ArgumentList?.Arguments ?? default).Where(a => a.NameEquals is null && a.NameColon is null);

        /// <summary>No <c>Shared = ...</c> other than <c>false</c>: its locks are required exclusively, as the fixed access needs.</summary>
        private static bool IsExclusive(AttributeSyntax attribute) =>
            (attribute.ArgumentList?.Arguments ?? default).All(a => a.NameEquals is null || a.Expression.IsKind(SyntaxKind.FalseLiteralExpression)) &&
            Positional(attribute).All(a => a.Expression is LiteralExpressionSyntax);

        private sealed class Target
        {
            public Target(MethodDeclarationSyntax method, string lockText, bool needsUsing)
            {
                Method = method;
                Lock = lockText;
                NeedsUsing = needsUsing;
            }

            /// <summary>The attribute's name does not resolve where the method is: <c>using DriverSafety;</c> is added.</summary>
            public bool NeedsUsing { get; }

            public MethodDeclarationSyntax Method { get; }

            public string Lock { get; }
        }
    }
}
