using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Xunit;

namespace DriverSafety.Tests.Engine;

/// <summary>
/// The compilation-end plumbing the lock-order family stands on: every body's walk adds the lock-order edges it shows
/// (blocking acquisitions while other locks are held, in the body or through callees' summaries, by lock class), one
/// witness per edge, the same whatever order the bodies are walked in; a nested acquisition with a lockdep subclass
/// is an edge to the subclass's own class.
/// </summary>
public sealed class LockOrderGraphTests
{
    private const string Source = """
        public sealed class Gem
        {
            public readonly Mutex Resv = new Mutex();

            [Acquires("Resv", Subclass = 1)]
            public void LockNested() => Resv.Lock();

            public static void Pair(Gem parent, Gem child)
            {
                parent.Resv.Lock();
                child.LockNested();
                child.Resv.Unlock();
                parent.Resv.Unlock();
            }
        }

        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();
            public static readonly SpinLock Irq = new SpinLock();

            public static void Evict(Gem gem)
            {
                StructMutex.Lock();
                gem.Resv.Lock();
                if (gem.Resv.TryLock())
                    gem.Resv.Unlock();
                gem.Resv.Unlock();
                StructMutex.Unlock();
            }

            public static void Helper(Gem gem)
            {
                gem.Resv.Lock();
                gem.Resv.Unlock();
            }

            public static void Isr(Gem gem)
            {
                Irq.Lock();
                Helper(gem);
                Irq.Unlock();
            }
        }
        """;

    [Fact]
    public void Edges_by_class_with_one_witness_each_in_any_walk_order()
    {
        var forward = Edges(reverse: false);
        var backward = Edges(reverse: true);

        Assert.Equal(new[]
        {
            "Gem.Resv -> Gem.Resv/1 at child.LockNested()",
            "Device.StructMutex -> Gem.Resv at gem.Resv.Lock()",
            "Device.Irq -> Gem.Resv at Helper(gem) through Helper → Mutex.Lock",
        }, forward);
        Assert.Equal(forward, backward);
    }

    private static string[] Edges(bool reverse)
    {
        var compilation = AnalyzerRun.Compile("LockOrder", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(Source, "Test0.cs") });
        var analysis = new CompilationAnalysis(compilation, KnownSymbols.TryCreate(compilation)!);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Test0.cs");
        var model = compilation.GetSemanticModel(tree);
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToList();
        if (reverse)
        {
            methods.Reverse();
        }

        foreach (var declaration in methods)
        {
            var method = (IMethodSymbol)model.GetDeclaredSymbol(declaration)!;
            var cfg = ControlFlowGraph.Create(declaration, model)!;
            analysis.Analyze(cfg, method, (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!, _ => { }, CancellationToken.None);
        }

        return analysis.Facts.LockOrder.Edges()
            .Select(e => $"{e.From} -> {e.To} at {e.Witness.SourceTree!.GetText().ToString(e.Witness.SourceSpan)}" + (e.Chain is null ? string.Empty : " through " + e.Chain))
            .ToArray();
    }
}
