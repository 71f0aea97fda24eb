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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV1002: "Take 'L' around this call" — the statement that makes the call is wrapped in the lock type's own acquire
    /// and release, the release in a <c>finally</c> (<c>L.Lock(); try { Vmap(gem); } finally { L.Unlock(); }</c>; a local
    /// the statement declares is declared before it). Offered where the lock is not held at all (not where it is held
    /// shared or on some paths only: taking it again would deadlock), where the lock expression can be written at the
    /// call, where its type has an argument-free exclusive acquire and release (not for a try-only lock such as
    /// <c>DmaResv.Lock(ctx)</c>, which needs an acquire context), and where the analysis of the edited body confirms it.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TakeLockCodeFix))]
    [Shared]
    public sealed class TakeLockCodeFix : CodeFixProvider
    {
        private const string EquivalenceKey = nameof(TakeLockCodeFix);
        private const string Id = "DRV1002";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Id);

        public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                if (root is null || LockOf(diagnostic) is not { } lockText)
                {
                    continue;
                }

                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var edited = await FixAsync(context.Document, node, lockText, context.CancellationToken).ConfigureAwait(false);
                if (edited is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create($"Take '{lockText}' around this call", _ => Task.FromResult(edited), EquivalenceKey), diagnostic);
                }
            }
        }

        /// <summary>Fixes the document's findings one after the other, in source order, each checked like a single fix.</summary>
        private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var work = diagnostics.Where(d => LockOf(d) is not null).OrderBy(d => d.Location.SourceSpan.Start).ToArray();
            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || work.Length == 0)
            {
                return null;
            }

            var marks = work.Select((_, i) => new SyntaxAnnotation("DriverSafety.TakeLock", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            var nodes = work.Select(d => root.FindNode(d.Location.SourceSpan, getInnermostNodeForTie: true)).ToArray();
            var current = document.WithSyntaxRoot(root.ReplaceNodes(nodes.Distinct(), (original, rewritten) =>
                rewritten.WithAdditionalAnnotations(marks.Where((_, i) => nodes[i] == original))));
            var changed = false;
            for (var i = 0; i < work.Length; i++)
            {
                var currentRoot = await current.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var node = currentRoot?.GetAnnotatedNodes(marks[i]).FirstOrDefault();
                if (node is null)
                {
                    continue;
                }

                var edited = await FixAsync(current, node, LockOf(work[i])!, context.CancellationToken).ConfigureAwait(false);
                if (edited is not null)
                {
                    current = edited;
                    changed = true;
                }
            }

            return changed ? current : null;
        }

        /// <summary>
        /// The lock the finding names, where it is not held at all: a finding with an additional location points at a
        /// hold in the wrong mode or on some paths only; one about a delegate conversion is not at a call.
        /// </summary>
        private static string? LockOf(Diagnostic diagnostic) =>
            diagnostic.Id == Id && diagnostic.AdditionalLocations.Count == 0 && MessageArguments.Of(diagnostic, 1) is { Length: > 0 } lockText &&
            MessageArguments.Of(diagnostic, 2) is { } detail && !detail.Contains("by every invocation of")
                ? lockText
                : null;

        private static async Task<Document?> FixAsync(Document document, SyntaxNode site, string lockText, CancellationToken cancellation)
        {
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            if (model is null || root is null || Support.FixContracts.Known(document, model.Compilation, cancellation) is not { } known)
            {
                return null;
            }

            if (model.GetOperation(site, cancellation) is not (IInvocationOperation or IPropertyReferenceOperation))
            {
                return null;
            }

            if (site.FirstAncestorOrSelf<StatementSyntax>() is not { } statement || BodyCheck.EnclosingMember(statement) is not { } member ||
                site.Ancestors().TakeWhile(n => n != statement).Any(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            {
                return null;
            }

            string? hoisted = null;
            switch (statement)
            {
                case ExpressionStatementSyntax:
                case ReturnStatementSyntax:
                    break;
                case LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, IsConst: false, Declaration.Variables.Count: 1 } declaration
                    when declaration.Declaration.Variables[0].Initializer is not null &&
                         model.GetDeclaredSymbol(declaration.Declaration.Variables[0], cancellation) is ILocalSymbol { RefKind: RefKind.None } local &&
                         local.Type is { TypeKind: not TypeKind.Error } localType && !localType.IsAnonymousType:
                    // A declared type is kept as written; for 'var', the initializer's type (a var local is nullable-annotated).
                    var declaredType = declaration.Declaration.Type;
                    var initializerType = model.GetTypeInfo(declaration.Declaration.Variables[0].Initializer!.Value, cancellation).Type ?? localType;
                    hoisted = declaredType.IsVar ? initializerType.ToMinimalDisplayString(model, statement.SpanStart) : declaredType.WithoutTrivia().ToString();
                    break;
                default:
                    return null;
            }

            var contracts = new ContractProvider(model.Compilation, known);
            if (LockCode.Bind(model, statement.SpanStart, lockText, out _, out var lockType) is not { } lockExpression ||
                lockType is null || !contracts.Resolver.IsLockType(lockType) ||
                LockCode.Acquire(contracts, model, statement.SpanStart, lockType) is not { } acquire ||
                LockCode.Release(contracts, model, statement.SpanStart, lockType, shared: false, token: null) is not { } release)
            {
                return null;
            }

            var body = new List<StatementSyntax>();
            var replacement = new List<StatementSyntax>();
            if (hoisted is not null)
            {
                var declaration = (LocalDeclarationStatementSyntax)statement;
                var variable = declaration.Declaration.Variables[0];
                replacement.Add(SyntaxFactory.LocalDeclarationStatement(
                    SyntaxFactory.VariableDeclaration(SyntaxFactory.ParseTypeName(hoisted), SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(variable.Identifier.WithoutTrivia())))));
                body.Add(SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
                    SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(variable.Identifier.WithoutTrivia()), variable.Initializer!.Value.WithoutTrivia())));
            }
            else
            {
                body.Add(statement.WithoutLeadingTrivia().WithoutTrailingTrivia());
            }

            replacement.Add(LockCode.Call(lockExpression, acquire));
            replacement.Add(LockCode.TryFinally(body, LockCode.Call(lockExpression, release)));
            var statements = LockCode.KeepTrivia(statement, replacement.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToArray());

            return await BodyCheck.EditAsync(document, member, marked => LockCode.Same(marked, statement) is { } at ? LockCode.ReplaceStatement(marked, at, statements) : null, Id, cancellation).ConfigureAwait(false);
        }
    }
}
