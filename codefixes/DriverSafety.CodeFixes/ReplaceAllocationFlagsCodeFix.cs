using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV2001 and DRV1008: "Use 'Gfp.Atomic'" — the constant allocation flags passed at the flagged call (to the
    /// allocator itself, or to the helper whose flags parameter carries them down) are replaced by a named member of the
    /// <c>[AllocationFlags]</c> enum that cannot sleep (DRV2001: <c>GFP_ATOMIC</c>, <c>GFP_NOWAIT</c>) or cannot recurse
    /// into reclaim but may still sleep (DRV1008: <c>GFP_NOIO</c>). Candidates are
    /// the enum's "type" members — combinations and aliases, not its first-declared single bits — in declaration order;
    /// one action each, at most three.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReplaceAllocationFlagsCodeFix))]
    [Shared]
    public sealed class ReplaceAllocationFlagsCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = nameof(ReplaceAllocationFlagsCodeFix);
        private const int MaxActions = 3;

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DRV2001", "DRV1008");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null || Support.FixContracts.Known(context.Document, model.Compilation, context.CancellationToken) is not { } known)
            {
                return;
            }

            var flagsModel = new AllocationFlagsModel(known);
            foreach (var diagnostic in context.Diagnostics)
            {
                var invocation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
                if (invocation is null || Flags(model, invocation, flagsModel, context.CancellationToken) is not { } found)
                {
                    continue;
                }

                var (argument, flags, value) = found;
                var reclaim = diagnostic.Id == "DRV1008";
                var index = 0;
                foreach (var candidate in Candidates(flags, value, reclaim).Take(MaxActions))
                {
                    var text = TypeText(argument.Expression, flags, model) + "." + candidate;
                    var key = index++ == 0 ? EquivalenceKey : EquivalenceKey + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    context.RegisterCodeFix(CodeAction.Create($"Use '{text}'",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument.Expression,
                            SyntaxFactory.ParseExpression(text).WithTriviaFrom(argument.Expression).WithAdditionalAnnotations(Formatter.Annotation)))),
                        key), diagnostic);
                }
            }
        }

        /// <summary>The call's constant argument of an <c>[AllocationFlags]</c> type that may sleep (the one to replace).</summary>
        private static (ArgumentSyntax Argument, FlagsType Flags, ulong Value)? Flags(SemanticModel model, InvocationExpressionSyntax invocation, AllocationFlagsModel flagsModel, CancellationToken cancellation)
        {
            foreach (var argument in invocation.ArgumentList.Arguments)
            {
                var type = model.GetTypeInfo(argument.Expression, cancellation).ConvertedType;
                if (flagsModel.Of(type) is not { } flags)
                {
                    continue;
                }

                var constant = model.GetConstantValue(argument.Expression, cancellation);
                if (constant.HasValue && AllocationFlagsModel.ToBits(constant.Value) is { } value && (value & flags.MaySleep) != 0)
                {
                    return (argument, flags, value);
                }
            }

            return null;
        }

        /// <summary>The enum's type members that fix the finding, in declaration order.</summary>
        private static IEnumerable<string> Candidates(FlagsType flags, ulong original, bool reclaim)
        {
            var primitives = new HashSet<string>();
            var seenBits = new HashSet<ulong>();
            var members = flags.Type.GetMembers().OfType<IFieldSymbol>()
                .Where(f => f.HasConstantValue && AllocationFlagsModel.ToBits(f.ConstantValue) is not null)
                .Select(f => (f.Name, Value: AllocationFlagsModel.ToBits(f.ConstantValue)!.Value))
                .ToList();
            foreach (var (name, value) in members)
            {
                // The first member declared for a single bit is that bit's own name; later ones for it are aliases (NoWait).
                if (value != 0 && (value & (value - 1)) == 0 && seenBits.Add(value))
                {
                    primitives.Add(name);
                }
            }

            var candidates = members.Where(m => m.Value != 0 && m.Value != original && !primitives.Contains(m.Name));
            if (!reclaim)
            {
                return candidates.Where(m => (m.Value & flags.MaySleep) == 0).Select(m => m.Name);
            }

            // Reclaim: a member that may still sleep (the caller chose a blocking allocation) but has no reclaim bit.
            return candidates.Where(m => (m.Value & flags.Reclaim) == 0 && (m.Value & flags.MaySleep) != 0).Select(m => m.Name);
        }

        /// <summary>How the code names the enum: the qualifier it already wrote (<c>Gfp.Kernel</c>), or the type's shortest name there.</summary>
        private static string TypeText(ExpressionSyntax expression, FlagsType flags, SemanticModel model) =>
            expression is MemberAccessExpressionSyntax { Expression: var qualifier } && model.GetSymbolInfo(qualifier).Symbol is INamedTypeSymbol named &&
            SymbolEqualityComparer.Default.Equals(named, flags.Type)
                ? qualifier.ToString()
                : flags.Type.ToMinimalDisplayString(model, expression.SpanStart);
    }
}
