using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.CodeFixes.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV1003 (a lock acquired in the method is still held at an exit; reported at the acquire, the leaking exits as
    /// additional locations). Two actions:
    /// <list type="bullet">
    /// <item>"Release 'L' before this exit": the lock type's own release for that lock (<c>_m.Unlock();</c>,
    /// <c>Monitor.Exit(x);</c>, <c>UnlockIrqRestore(flags)</c> with the value the acquire returned) before every leaking
    /// <c>return</c>, <c>throw</c> or closing brace; a return value is computed first, still under the lock.</item>
    /// <item>"Release 'L' in a finally": the statements after the acquire go into <c>try { … } finally { L.Unlock(); }</c>,
    /// and the releases they already made right before an exit are dropped (the <c>finally</c> makes them).</item>
    /// </list>
    /// Nothing is offered for a lock the method holds by contract (<c>[Requires]</c>, <c>[Acquires]</c>), a try-lock
    /// whose result was dropped, or a <c>[LockGuard]</c> value (dispose it instead); the <c>finally</c> shape is not
    /// offered for a try-lock (it would release where the lock was not taken). Each edit is checked by analysing the
    /// edited body again.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleaseLockCodeFix))]
    [Shared]
    public sealed class ReleaseLockCodeFix : CodeFixProvider
    {
        /// <summary>The equivalence key of "Release 'L' before this exit".</summary>
        public const string BeforeExitKey = nameof(ReleaseLockCodeFix) + ".BeforeExit";

        /// <summary>The equivalence key of "Release 'L' in a finally".</summary>
        public const string FinallyKey = nameof(ReleaseLockCodeFix) + ".Finally";

        private const string Id = "DRV1003";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Id);

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
                if (LockOf(diagnostic) is not { } lockText || Locate(root, diagnostic) is not { } site)
                {
                    continue;
                }

                var before = await FixAsync(context.Document, site, lockText, inFinally: false, context.CancellationToken).ConfigureAwait(false);
                if (before is not null)
                {
                    var title = site.Exits.Count == 1 ? $"Release '{lockText}' before this exit" : $"Release '{lockText}' before these exits";
                    context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(before), BeforeExitKey), diagnostic);
                }

                var wrapped = await FixAsync(context.Document, site, lockText, inFinally: true, context.CancellationToken).ConfigureAwait(false);
                if (wrapped is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create($"Release '{lockText}' in a finally", _ => Task.FromResult(wrapped), FinallyKey), diagnostic);
                }
            }
        }

        /// <summary>
        /// Fixes the document's findings one after the other, in source order, each checked like a single fix, with the
        /// action the key names (without a key, as <c>dotnet format</c> may ask, each finding's first action).
        /// </summary>
        private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return null;
            }

            var work = new List<(string Lock, Site Site)>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (LockOf(diagnostic) is { } lockText && Locate(root, diagnostic) is { } site)
                {
                    work.Add((lockText, site));
                }
            }

            if (work.Count == 0)
            {
                return null;
            }

            // Every node a fix needs is marked, so that it is found again after the fixes before it changed the document.
            var marks = new Dictionary<SyntaxNode, SyntaxAnnotation>();
            SyntaxAnnotation Mark(SyntaxNode node)
            {
                if (!marks.TryGetValue(node, out var mark))
                {
                    mark = new SyntaxAnnotation("DriverSafety.ReleaseLock");
                    marks.Add(node, mark);
                }

                return mark;
            }

            var planned = work.Select(w => (w.Lock, Acquire: Mark(w.Site.Acquire), Exits: w.Site.Exits.Select(e => (Mark(e.Node), e.BlockEnd)).ToArray())).ToArray();
            var current = document.WithSyntaxRoot(root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original])));
            var changed = false;
            foreach (var (lockText, acquireMark, exitMarks) in planned)
            {
                var currentRoot = await current.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var acquire = currentRoot?.GetAnnotatedNodes(acquireMark).FirstOrDefault();
                var exits = exitMarks.Select(e => (Node: currentRoot?.GetAnnotatedNodes(e.Item1).FirstOrDefault(), e.BlockEnd)).ToArray();
                if (acquire is null || exits.Any(e => e.Node is null))
                {
                    continue;
                }

                var site = new Site(acquire, exits.Select(e => new Exit(e.Node!, e.BlockEnd)).ToArray());
                var edited = context.CodeActionEquivalenceKey switch
                {
                    BeforeExitKey => await FixAsync(current, site, lockText, inFinally: false, context.CancellationToken).ConfigureAwait(false),
                    FinallyKey => await FixAsync(current, site, lockText, inFinally: true, context.CancellationToken).ConfigureAwait(false),
                    _ => await FixAsync(current, site, lockText, inFinally: false, context.CancellationToken).ConfigureAwait(false)
                        ?? await FixAsync(current, site, lockText, inFinally: true, context.CancellationToken).ConfigureAwait(false),
                };
                if (edited is not null)
                {
                    current = edited;
                    changed = true;
                }
            }

            return changed ? current : null;
        }

        /// <summary>The lock the finding names; null for a dropped try-lock result (releasing it would be wrong where it failed).</summary>
        private static string? LockOf(Diagnostic diagnostic) =>
            diagnostic.Id == Id && diagnostic.AdditionalLocations.Count > 0 && MessageArguments.Of(diagnostic, 0) is { Length: > 0 } lockText &&
            !diagnostic.GetMessage(CultureInfo.InvariantCulture).Contains("its result is ignored")
                ? lockText
                : null;

        /// <summary>The acquiring invocation and the leaking exits: a <c>return</c> or <c>throw</c> statement, or a block's closing brace.</summary>
        private static Site? Locate(SyntaxNode root, Diagnostic diagnostic)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax acquire)
            {
                return null;
            }

            var exits = new List<Exit>();
            foreach (var location in diagnostic.AdditionalLocations)
            {
                if (location.SourceTree != root.SyntaxTree || Exit.At(root, location.SourceSpan) is not { } exit)
                {
                    return null;
                }

                exits.Add(exit);
            }

            return new Site(acquire, exits);
        }

        private static async Task<Document?> FixAsync(Document document, Site site, string lockText, bool inFinally, CancellationToken cancellation)
        {
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            if (model is null || Support.FixContracts.Known(document, model.Compilation, cancellation) is not { } known ||
                model.GetOperation(site.Acquire, cancellation) is not IInvocationOperation invocation ||
                BodyCheck.EnclosingMember(site.Acquire) is not { } member || model.GetDeclaredSymbol(member, cancellation) is not IMethodSymbol method)
            {
                return null;
            }

            var contracts = new ContractProvider(model.Compilation, known);
            var body = new BodyContext(method, contracts.ForMethod(method), member);
            if (body.Requires.Concat(body.Acquires).Concat(body.TryAcquires).Any(p => p.ToString() == lockText))
            {
                // Held by contract: never a release here.
                return null;
            }

            if (Releaser.For(invocation, lockText, model, contracts, cancellation) is not { } releaser)
            {
                return null;
            }

            return inFinally
                ? await InFinallyAsync(document, model, member, site, releaser, cancellation).ConfigureAwait(false)
                : await BeforeExitsAsync(document, model, member, site, releaser, cancellation).ConfigureAwait(false);
        }

        private static async Task<Document?> BeforeExitsAsync(Document document, SemanticModel model, SyntaxNode member, Site site, Releaser releaser, CancellationToken cancellation)
        {
            // Everything is decided on the document as it is; the edits are then made one exit at a time, each exit found by its mark.
            var edits = new List<(SyntaxNode Node, System.Func<SyntaxNode, SyntaxNode, SyntaxNode> Apply)>();
            var usedNames = new List<string>();
            foreach (var exit in site.Exits)
            {
                if (releaser.At(model, exit.Node.SpanStart) is not { } release)
                {
                    return null;
                }

                if (exit.BlockEnd)
                {
                    edits.Add((exit.Node, (root, block) => root.ReplaceNode(block, ((BlockSyntax)block).AddStatements(release.WithAdditionalAnnotations(Formatter.Annotation)))));
                    continue;
                }

                var statement = (StatementSyntax)exit.Node;
                var replacement = new List<StatementSyntax>();
                if (statement is ReturnStatementSyntax { Expression: { } value } && !IsSettled(model, value, cancellation))
                {
                    // The value is computed under the lock, as before: T result = value; release; return result;
                    if (model.GetEnclosingSymbol(statement.SpanStart, cancellation) is not IMethodSymbol { IsAsync: false, ReturnsByRef: false, ReturnsByRefReadonly: false, ReturnsVoid: false } function ||
                        function.ReturnType.TypeKind == TypeKind.Error)
                    {
                        return null;
                    }

                    var name = LockCode.FreshName(member, "result", usedNames);
                    usedNames.Add(name);
                    replacement.Add(SyntaxFactory.LocalDeclarationStatement(SyntaxFactory.VariableDeclaration(
                        SyntaxFactory.ParseTypeName(function.ReturnType.ToMinimalDisplayString(model, statement.SpanStart)),
                        SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name), null, SyntaxFactory.EqualsValueClause(value.WithoutTrivia()))))));
                    replacement.Add(release);
                    replacement.Add(SyntaxFactory.ReturnStatement(SyntaxFactory.IdentifierName(name)));
                }
                else
                {
                    replacement.Add(release);
                    replacement.Add(statement.WithoutLeadingTrivia().WithoutTrailingTrivia());
                }

                var statements = LockCode.KeepTrivia(statement, replacement.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToArray());
                edits.Add((statement, (root, node) => LockCode.ReplaceStatement(root, (StatementSyntax)node, statements)));
            }

            return await BodyCheck.EditAsync(document, member, marked =>
            {
                var marks = edits.Select(e => (Node: Find(marked, e.Node), Mark: new SyntaxAnnotation("DriverSafety.Exit"), e.Apply)).ToArray();
                if (marks.Any(m => m.Node is null))
                {
                    return null;
                }

                var current = marked.ReplaceNodes(marks.Select(m => m.Node!), (original, rewritten) => rewritten.WithAdditionalAnnotations(marks.First(m => m.Node == original).Mark));
                foreach (var (_, mark, apply) in marks)
                {
                    current = apply(current, current.GetAnnotatedNodes(mark).First());
                }

                return current;
            }, Id, cancellation).ConfigureAwait(false);
        }

        private static async Task<Document?> InFinallyAsync(Document document, SemanticModel model, SyntaxNode member, Site site, Releaser releaser, CancellationToken cancellation)
        {
            if (releaser.IsTry || AcquireStatement(site.Acquire) is not { Parent: BlockSyntax block } acquireStatement)
            {
                return null;
            }

            var index = block.Statements.IndexOf(acquireStatement);
            var region = block.Statements.Skip(index + 1).ToList();
            if (region.Count == 0 || releaser.At(model, acquireStatement.Span.End) is not { } release)
            {
                return null;
            }

            var regionSpan = TextSpan.FromBounds(region[0].SpanStart, region[region.Count - 1].Span.End);
            if (site.Exits.Any(e => e.BlockEnd ? e.Node != block : !regionSpan.Contains(e.Node.Span)))
            {
                return null;
            }

            // The region's own releases of the lock must sit right before an exit (the finally then makes them there); any
            // other release or acquire of the lock in the region means it is not one hold, and is left to the user.
            var dropped = new List<StatementSyntax>();
            foreach (var invocation in region.SelectMany(s => s.DescendantNodesAndSelf()).OfType<InvocationExpressionSyntax>())
            {
                var kind = releaser.Classify(model, invocation, cancellation);
                if (kind == Releaser.Use.Acquire)
                {
                    return null;
                }

                if (kind != Releaser.Use.Release)
                {
                    continue;
                }

                if (invocation.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax owner } releaseStatement)
                {
                    return null;
                }

                var position = owner.Statements.IndexOf(releaseStatement);
                var atExit = (owner == block && position == owner.Statements.Count - 1) ||
                    (position + 1 < owner.Statements.Count && owner.Statements[position + 1] is ReturnStatementSyntax or ThrowStatementSyntax);
                if (!atExit)
                {
                    return null;
                }

                dropped.Add(releaseStatement);
            }

            return await BodyCheck.EditAsync(document, member, marked =>
            {
                var toDrop = dropped.Select(s => LockCode.Same(marked, s)).ToList();
                if (toDrop.Any(s => s is null) || LockCode.Same(marked, acquireStatement) is null)
                {
                    return null;
                }

                // Everything dropped comes after the acquire, whose position therefore stays.
                var pruned = toDrop.Count == 0 ? marked : marked.RemoveNodes(toDrop!, SyntaxRemoveOptions.KeepNoTrivia);
                if (pruned is null || LockCode.Same(pruned, acquireStatement) is not { Parent: BlockSyntax owner } acquired)
                {
                    return null;
                }

                var at = owner.Statements.IndexOf(acquired);
                var inside = owner.Statements.Skip(at + 1).ToList();
                if (inside.Count == 0)
                {
                    return null;
                }

                inside[0] = inside[0].WithLeadingTrivia(inside[0].GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.EndOfLineTrivia)));
                var wrapped = LockCode.TryFinally(inside, release.WithAdditionalAnnotations(Formatter.Annotation));
                var statements = owner.Statements.Take(at + 1).Concat(new[] { wrapped });
                return pruned.ReplaceNode(owner, owner.WithStatements(SyntaxFactory.List(statements)));
            }, Id, cancellation).ConfigureAwait(false);
        }

        /// <summary>The statement the acquire is: <c>L.Lock();</c>, <c>var flags = L.LockIrqSave();</c> or <c>flags = L.LockIrqSave();</c>.</summary>
        private static StatementSyntax? AcquireStatement(SyntaxNode acquire) => acquire.Parent switch
        {
            ExpressionStatementSyntax statement => statement,
            AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax statement } => statement,
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement } } } => statement,
            _ => null,
        };

        /// <summary>A value that reads nothing a lock guards: a constant, a local or a parameter.</summary>
        private static bool IsSettled(SemanticModel model, ExpressionSyntax value, CancellationToken cancellation) =>
            model.GetConstantValue(value, cancellation).HasValue ||
            model.GetOperation(value, cancellation) is ILiteralOperation or IDefaultValueOperation or ILocalReferenceOperation or IParameterReferenceOperation;

        private static SyntaxNode? Find(SyntaxNode root, SyntaxNode original) => LockCode.Same(root, original);

        /// <summary>One exit of the diagnostic: a statement, or a block whose end is reached (its closing brace).</summary>
        private sealed class Exit
        {
            public Exit(SyntaxNode node, bool blockEnd)
            {
                Node = node;
                BlockEnd = blockEnd;
            }

            public SyntaxNode Node { get; }

            public bool BlockEnd { get; }

            public static Exit? At(SyntaxNode root, TextSpan span)
            {
                var token = root.FindToken(span.Start);
                if (token.IsKind(SyntaxKind.CloseBraceToken) && token.Span == span && token.Parent is BlockSyntax block)
                {
                    return new Exit(block, blockEnd: true);
                }

                var node = root.FindNode(span, getInnermostNodeForTie: true);
                var statement = node.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault(s => s.Span == span);
                return statement is ReturnStatementSyntax or ThrowStatementSyntax ? new Exit(statement, blockEnd: false) : null;
            }
        }

        private sealed class Site
        {
            public Site(SyntaxNode acquire, IReadOnlyList<Exit> exits)
            {
                Acquire = acquire;
                Exits = exits;
            }

            public SyntaxNode Acquire { get; }

            public IReadOnlyList<Exit> Exits { get; }
        }

        /// <summary>How to release the lock an acquire took, written where the release goes.</summary>
        private sealed class Releaser
        {
            private readonly ExpressionSyntax _lock;
            private readonly ISymbol? _lockSymbol;
            private readonly IMethodSymbol? _release;
            private readonly ExpressionSyntax? _token;
            private readonly ContractProvider _contracts;
            private readonly INamedTypeSymbol? _monitor;

            private Releaser(ExpressionSyntax lockExpression, ISymbol? lockSymbol, IMethodSymbol? release, ExpressionSyntax? token, bool isTry, ContractProvider contracts)
            {
                _lock = lockExpression;
                _lockSymbol = lockSymbol;
                _release = release;
                _token = token;
                IsTry = isTry;
                _contracts = contracts;
                _monitor = contracts.Known.Monitor;
            }

            public enum Use
            {
                None,
                Acquire,
                Release,
            }

            /// <summary>The acquire was a try-lock: the lock is held only where it succeeded.</summary>
            public bool IsTry { get; }

            public static Releaser? For(IInvocationOperation acquire, string lockText, SemanticModel model, ContractProvider contracts, CancellationToken cancellation)
            {
                var method = acquire.TargetMethod;
                var position = acquire.Syntax.SpanStart;
                if (contracts.Known.Monitor is { } monitor && SymbolEqualityComparer.Default.Equals(method.ContainingType, monitor))
                {
                    // Monitor.Enter(x) and Monitor.TryEnter(x[, timeout]); not Enter(x, ref taken), whose release depends on the flag.
                    var plain = method.Name == "Enter" ? method.Parameters.Length == 1 : method.Name == "TryEnter" && method.Parameters.All(p => p.RefKind == RefKind.None);
                    if (!plain || acquire.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value.Syntax is not ExpressionSyntax monitored || !LockCode.IsPath(monitored))
                    {
                        return null;
                    }

                    return new Releaser(monitored, LockCode.SymbolOf(model, monitored, cancellation), null, null, method.Name == "TryEnter", contracts);
                }

                var contract = contracts.ForMethod(method);
                if (contract.ReturnsGuard)
                {
                    // A [LockGuard] value holds the lock until it is disposed: no release to insert.
                    return null;
                }

                bool shared;
                bool irqs;
                bool isTry;
                bool onThis;
                if (contract.Acquires.Length == 1 && contract.TryAcquires.IsEmpty)
                {
                    shared = contract.Acquires[0].Shared;
                    irqs = contract.Acquires[0].DisablesIrqs;
                    isTry = false;
                    onThis = LockCode.IsThis(contract.Acquires[0].Lock);
                }
                else if (contract.TryAcquires.Length == 1 && contract.TryAcquires[0].Locks.Length == 1 && contract.Acquires.IsEmpty)
                {
                    shared = contract.TryAcquires[0].Shared;
                    irqs = false;
                    isTry = true;
                    onThis = LockCode.IsThis(contract.TryAcquires[0].Locks[0]);
                }
                else
                {
                    return null;
                }

                // The lock as the acquire names it (its receiver), or as the finding prints it.
                ExpressionSyntax? lockExpression;
                ISymbol? lockSymbol;
                ITypeSymbol? lockType;
                if (onThis && acquire.Instance is { IsImplicit: false } instance && instance.Syntax is ExpressionSyntax receiver && LockCode.IsPath(receiver))
                {
                    lockExpression = receiver;
                    lockSymbol = LockCode.SymbolOf(model, receiver, cancellation);
                    lockType = instance.Type;
                }
                else
                {
                    lockExpression = LockCode.Bind(model, position, lockText, out lockSymbol, out lockType);
                }

                if (lockExpression is null || lockType is null || !contracts.Resolver.IsLockType(lockType))
                {
                    return null;
                }

                ExpressionSyntax? token = null;
                if (irqs)
                {
                    // spin_lock_irqsave: the release takes back what the acquire returned, which must be in a local.
                    token = acquire.Syntax.Parent switch
                    {
                        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => SyntaxFactory.IdentifierName(declarator.Identifier.WithoutTrivia()),
                        AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment when model.GetSymbolInfo(assignment.Left, cancellation).Symbol is ILocalSymbol => name,
                        _ => null,
                    };
                    if (token is null || method.ReturnsVoid)
                    {
                        return null;
                    }
                }

                var release = LockCode.Release(contracts, model, position, lockType, shared, irqs ? method.ReturnType : null);
                return release is null ? null : new Releaser(lockExpression, lockSymbol, release, token, isTry, contracts);
            }

            /// <summary>The release statement at <paramref name="position"/>, where the lock expression still denotes the same lock.</summary>
            public StatementSyntax? At(SemanticModel model, int position)
            {
                var text = LockCode.Text(_lock);
                if (LockCode.Bind(model, position, text, out var symbol, out _) is not { } expression ||
                    !SymbolEqualityComparer.Default.Equals(symbol, _lockSymbol))
                {
                    return null;
                }

                return _release is null ? LockCode.MonitorExit(expression) : LockCode.Call(expression, _release, _token is null ? System.Array.Empty<ExpressionSyntax>() : new[] { _token });
            }

            /// <summary>Whether <paramref name="invocation"/> acquires or releases this lock (by the same writing of it).</summary>
            public Use Classify(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellation)
            {
                if (model.GetOperation(invocation, cancellation) is not IInvocationOperation operation)
                {
                    return Use.None;
                }

                var text = LockCode.Text(_lock);
                var method = operation.TargetMethod;
                if (_monitor is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, _monitor))
                {
                    var argument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value.Syntax as ExpressionSyntax;
                    if (argument is null || LockCode.Text(argument) != text)
                    {
                        return Use.None;
                    }

                    return method.Name == "Exit" ? Use.Release : method.Name is "Enter" or "TryEnter" ? Use.Acquire : Use.None;
                }

                if (operation.Instance?.Syntax is not ExpressionSyntax receiver || operation.Instance.IsImplicit || LockCode.Text(receiver) != text)
                {
                    return Use.None;
                }

                var contract = _contracts.ForMethod(method);
                return contract.Releases.Any(c => LockCode.IsThis(c.Lock)) ? Use.Release
                    : contract.Acquires.Any(c => LockCode.IsThis(c.Lock)) || contract.TryAcquires.Any(t => t.Locks.Any(LockCode.IsThis)) ? Use.Acquire
                    : Use.None;
            }
        }
    }
}
