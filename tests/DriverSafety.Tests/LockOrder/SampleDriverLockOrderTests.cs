using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Tests.Samples;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Xunit;

namespace DriverSafety.Tests.LockOrder;

/// <summary>
/// What the lock-order family sees in the sample driver, so that its silence there (SampleDriverTests) is not vacuous:
/// a lock-order graph of real size, through long callee chains, without a cycle; and the reclaim locks its shrinkers
/// and MMU notifiers make (the LRU lock and the address-space mutex they take blocking, the work-queue and IOMMU
/// spinlocks under them), but not the reservations they only try-lock.
/// </summary>
public sealed class SampleDriverLockOrderTests
{
    [Fact]
    public void The_sample_drivers_lock_order_graph_and_reclaim_locks()
    {
        var compilation = SampleDriverTests.CompileDriver();
        var known = KnownSymbols.TryCreate(compilation)!;
        var contracts = new ContractProvider(compilation, known);
        var analysis = new CompilationAnalysis(compilation, known);
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>().Where(m => m.Body is not null || m.ExpressionBody is not null))
            {
                if (model.GetDeclaredSymbol(declaration) is not IMethodSymbol method || contracts.ForMethod(method).IsTrusted)
                {
                    continue;
                }

                var cfg = ControlFlowGraph.Create(declaration, model)!;
                analysis.Analyze(cfg, method, (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!, _ => { }, CancellationToken.None);
            }
        }

        var edges = analysis.Facts.LockOrder.Edges();
        Assert.InRange(edges.Length, 20, int.MaxValue);
        Assert.Contains(edges, e => e.From.ToString() == "MmStruct.MmapLock" && e.To.ToString() == "GemObject.Resv");
        Assert.Contains(edges, e => e.Chain is { Links.Length: > 5 });

        var locks = analysis.Facts.ReclaimLocks(CancellationToken.None);
        Assert.Equal(
            new[] { "AddressSpace.Mutex", "GemLru.Lock", "Iommu._lock", "WorkQueue._poolLock" },
            locks.Classes.Select(c => c.ToString()).OrderBy(n => n, StringComparer.Ordinal));
        Assert.False(locks.Classes.Any(c => c.ToString() is "GemObject.Resv" or "DmaBuf.Resv"));
    }
}
