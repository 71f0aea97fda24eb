using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.CodeFixes.Support
{
    /// <summary>
    /// Whether an edit of one member is a fix: the member's body is analysed before and after the edit, exactly as the
    /// analyzer analyses it (the same engine, rules and summaries), and the edit is offered only where the finding it
    /// fixes is gone and nothing else got worse — no rule reports more in that body, and the body has no more compiler
    /// errors. So a [Requires] that would make the body's own acquire a DRV1005, or a release that a return value still
    /// needed, is never offered.
    /// </summary>
    internal static class BodyCheck
    {
        /// <summary>The declaration the analyzer analyses as one body (with its lambdas and local functions): a method, constructor, operator or accessor.</summary>
        public static SyntaxNode? EnclosingMember(SyntaxNode node) =>
            node.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax);

        /// <summary>
        /// Applies <paramref name="edit"/> to <paramref name="document"/> (whose <paramref name="member"/> it changes, and
        /// nothing outside it) and returns the edited document where it is a fix (<see cref="IsFixAsync"/>), else null.
        /// </summary>
        public static async Task<Document?> EditAsync(Document document, SyntaxNode member, System.Func<SyntaxNode, SyntaxNode?> edit, string fixedId, CancellationToken cancellation)
        {
            var root = member.SyntaxTree.GetRoot(cancellation);
            var mark = new SyntaxAnnotation("DriverSafety.CodeFixes.Member");
            var edited = edit(root.ReplaceNode(member, member.WithAdditionalAnnotations(mark)));
            if (edited is null)
            {
                return null;
            }

            var result = document.WithSyntaxRoot(edited);
            return await IsFixAsync(document, member, result, mark, fixedId, cancellation).ConfigureAwait(false) ? result : null;
        }

        /// <summary>
        /// True when <paramref name="edited"/> (the document after the edit, its member marked with <paramref name="mark"/>)
        /// reports fewer <paramref name="fixedId"/> findings in that member than <paramref name="original"/>'s
        /// <paramref name="member"/>, and no more of any other rule or compiler error.
        /// </summary>
        public static async Task<bool> IsFixAsync(Document original, SyntaxNode member, Document edited, SyntaxAnnotation mark, string fixedId, CancellationToken cancellation)
        {
            var before = await DiagnosticsAsync(original, member, cancellation).ConfigureAwait(false);
            var editedRoot = await edited.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            var editedMember = editedRoot?.GetAnnotatedNodes(mark).FirstOrDefault();
            if (before is null || editedMember is null)
            {
                return false;
            }

            var after = await DiagnosticsAsync(edited, editedMember, cancellation).ConfigureAwait(false);
            if (after is null)
            {
                return false;
            }

            var counts = Count(before);
            var newCounts = Count(after);
            if (Get(newCounts, fixedId) >= Get(counts, fixedId))
            {
                return false;
            }

            return newCounts.All(pair => pair.Value <= Get(counts, pair.Key));
        }

        /// <summary>
        /// The findings of an unedited member, kept while its syntax lives, for the compilation they were computed in: one
        /// finding offers several actions, and Fix All asks again for every finding of a document.
        /// </summary>
        private static readonly ConditionalWeakTable<SyntaxNode, Tuple<Compilation, List<string>>> Before = new ConditionalWeakTable<SyntaxNode, Tuple<Compilation, List<string>>>();

        /// <summary>The analyzer's findings in one member's body, plus its compiler errors (as "error").</summary>
        private static async Task<List<string>?> DiagnosticsAsync(Document document, SyntaxNode member, CancellationToken cancellation)
        {
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            if (model is not null && Before.TryGetValue(member, out var cached) && cached.Item1 == model.Compilation)
            {
                return cached.Item2;
            }

            var computed = Compute(document, model, member, cancellation);
            if (model is not null && computed is not null)
            {
                lock (Before)
                {
                    Before.Remove(member);
                    Before.Add(member, Tuple.Create(model.Compilation, computed));
                }
            }

            return computed;
        }

        private static List<string>? Compute(Document document, SemanticModel? model, SyntaxNode member, CancellationToken cancellation)
        {
            if (model is null || FixContracts.Known(document, model.Compilation, cancellation) is not { } known ||
                model.GetDeclaredSymbol(member, cancellation) is not IMethodSymbol method)
            {
                return null;
            }

            var operation = model.GetOperation(member, cancellation);
            ControlFlowGraph? cfg = operation switch
            {
                IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellation),
                IConstructorBodyOperation body => ControlFlowGraph.Create(body, cancellation),
                IBlockOperation block => ControlFlowGraph.Create(block, cancellation),
                _ => null,
            };
            if (cfg is null || operation is null)
            {
                return null;
            }

            var ids = new List<string>();
            new CompilationAnalysis(model.Compilation, known).Analyze(cfg, method, operation.Syntax, d =>
            {
                // DRV9003 documents a sleep (a fix that takes a lock makes the method sleep): it is not a problem a fix may not add.
                if (d.Id != Descriptors.PublicMemberMaySleepId)
                {
                    ids.Add(d.Id);
                }
            }, cancellation);
            ids.AddRange(model.GetDiagnostics(member.Span, cancellation).Where(d => d.Severity == DiagnosticSeverity.Error).Select(_ => "error"));
            return ids;
        }

        private static Dictionary<string, int> Count(List<string> ids) =>
            ids.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());

        private static int Get(Dictionary<string, int> counts, string id) => counts.TryGetValue(id, out var count) ? count : 0;
    }
}
