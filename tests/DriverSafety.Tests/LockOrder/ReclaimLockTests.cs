using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Xunit;

namespace DriverSafety.Tests.LockOrder;

/// <summary>
/// The reclaim pseudo-lock's whole-program fact (SPEC §7.20), which DRV1008 reads at compilation end: the lock classes
/// reclaim reaches — taken blocking in a [ReclaimContext] body (an override or implementation of one, a lambda or a
/// method converted to a [ReclaimContext] delegate type) or in its callees, or taken while such a lock is held — each
/// with the chain that proves it; a shrinker that only try-locks makes no reclaim lock; the lock-order graph has no
/// reclaim node, so DRV1007 never reports a cycle through reclaim.
/// </summary>
public sealed class ReclaimLockTests
{
    private const string Source = """
        [ReclaimContext]
        public delegate long ScanCallback(int count);

        public abstract class Shrinker
        {
            [ReclaimContext]
            public abstract long Scan(int count);
        }

        public interface INotifier
        {
            [ReclaimContext]
            int Invalidate(Gem gem);
        }

        public sealed class Gem
        {
            public readonly Mutex Resv = new Mutex();
            public readonly Mutex PagesLock = new Mutex();
        }

        public static class Dev
        {
            public static readonly Mutex StructMutex = new Mutex();
            public static readonly Mutex Lru = new Mutex();
            public static readonly Mutex LambdaLock = new Mutex();
            public static readonly Mutex GroupLock = new Mutex();
            public static readonly Mutex After = new Mutex();
            public static readonly Mutex Plain = new Mutex();
        }

        public sealed class EvictingShrinker : Shrinker
        {
            public override long Scan(int count)
            {
                Evict();
                return 0;
            }

            private static void Evict()
            {
                Dev.StructMutex.Lock();
                Dev.StructMutex.Unlock();
            }
        }

        public sealed class TryLockShrinker : Shrinker
        {
            public override long Scan(int count)
            {
                if (!Dev.Lru.TryLock())
                    return 0;
                Dev.Lru.Unlock();
                return count;
            }
        }

        public sealed class Notifier : INotifier
        {
            public int Invalidate(Gem gem)
            {
                Unbind(gem);
                return 0;
            }

            private static void Unbind(Gem gem)
            {
                gem.PagesLock.Lock();
                gem.PagesLock.Unlock();
            }
        }

        public static class Registration
        {
            public static ScanCallback Lambda() => count =>
            {
                Dev.LambdaLock.Lock();
                Dev.LambdaLock.Unlock();
                return 0;
            };

            public static ScanCallback Group() => ScanGroup;

            private static long ScanGroup(int count)
            {
                Dev.GroupLock.Lock();
                Dev.GroupLock.Unlock();
                return 0;
            }

            public static void Elsewhere()
            {
                Dev.GroupLock.Lock();
                Dev.After.Lock();
                Dev.After.Unlock();
                Dev.GroupLock.Unlock();
            }

            public static void NotInReclaim()
            {
                Dev.Plain.Lock();
                Dev.Lru.Lock();
                Dev.Lru.Unlock();
                Dev.Plain.Unlock();
            }
        }
        """;

    [Fact]
    public void Reclaim_locks_with_their_witness_chains()
    {
        var analysis = AnalyzeAll(Source, reverse: false);
        var locks = analysis.Facts.ReclaimLocks(CancellationToken.None);

        Assert.Equal(string.Join(Environment.NewLine, new[]
        {
            "Dev.StructMutex: reclaim takes 'Dev.StructMutex' in 'Scan' (Test0.cs:36, through Evict → Mutex.Lock)",
            "Gem.PagesLock: reclaim takes 'Gem.PagesLock' in 'Invalidate' (Test0.cs:62, through Unbind → Mutex.Lock)",
            "Dev.LambdaLock: reclaim takes 'Dev.LambdaLock' in 'lambda' (Test0.cs:77)",
            "Dev.GroupLock: reclaim takes 'Dev.GroupLock' in 'ScanGroup' converted to 'ScanCallback' (Test0.cs:82, through ScanGroup → Mutex.Lock)",
            "Dev.After: reclaim takes 'Dev.GroupLock' in 'ScanGroup' converted to 'ScanCallback' (Test0.cs:82, through ScanGroup → Mutex.Lock); 'Dev.After' acquired while 'Dev.GroupLock' is held in 'Elsewhere' (Test0.cs:94)",
        }), string.Join(Environment.NewLine, Describe(analysis)));
        Assert.True(locks.IsReclaimLock(locks.Classes[0]));
        Assert.Equal(2, locks.WitnessFor(locks.Classes[4])!.Locations.Count());
    }

    [Fact]
    public void A_try_locking_shrinker_and_code_outside_reclaim_make_no_reclaim_lock()
    {
        var analysis = AnalyzeAll(Source, reverse: false);
        var names = analysis.Facts.ReclaimLocks(CancellationToken.None).Classes.Select(c => c.ToString()).ToArray();

        Assert.DoesNotContain("Dev.Lru", names);
        Assert.DoesNotContain("Dev.Plain", names);
    }

    [Fact]
    public void The_witnesses_do_not_depend_on_the_order_the_bodies_are_walked_in()
    {
        Assert.Equal(Describe(AnalyzeAll(Source, reverse: false)), Describe(AnalyzeAll(Source, reverse: true)));
    }

    [Fact]
    public Task A_shrinker_that_only_try_locks_is_clean() => Verify.Analyzer("""
        public abstract class Shrinker
        {
            [ReclaimContext]
            public abstract long Scan(int count);
        }

        public sealed class Lru
        {
            public readonly Mutex Lock = new Mutex();
            public int Count;
        }

        public sealed class LruShrinker : Shrinker
        {
            private readonly Lru _lru = new Lru();

            public override long Scan(int count)
            {
                if (!_lru.Lock.TryLock())
                    return 0;
                _lru.Count -= count;
                _lru.Lock.Unlock();
                return count;
            }

            public void Add(byte[] page)
            {
                _lru.Lock.Lock();
                _lru.Count++;
                _lru.Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_cycle_through_reclaim_is_not_a_lock_order_inversion() => Verify.Analyzer("""
        public abstract class Shrinker
        {
            [ReclaimContext]
            public abstract long Scan(int count);
        }

        public static class Dev
        {
            public static readonly Mutex StructMutex = new Mutex();
        }

        // Reclaim takes struct_mutex; struct_mutex is held around work that may enter reclaim. That is DRV1008's (an
        // allocation under a reclaim lock), never a DRV1007: the lock-order graph has no reclaim node.
        public sealed class GemShrinker : Shrinker
        {
            public override long Scan(int count)
            {
                Dev.StructMutex.Lock();
                Dev.StructMutex.Unlock();
                return count;
            }

            public static void Ioctl(Shrinker shrinker)
            {
                Dev.StructMutex.Lock();
                Dev.StructMutex.Unlock();
            }
        }
        """);

    private static string[] Describe(CompilationAnalysis analysis)
    {
        var locks = analysis.Facts.ReclaimLocks(CancellationToken.None);
        return locks.Classes.Select(c => c + ": " + locks.WitnessFor(c)!.Describe()).ToArray();
    }

    internal static CompilationAnalysis AnalyzeAll(string source, bool reverse)
    {
        var compilation = AnalyzerRun.Compile("Reclaim", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(source, "Test0.cs") });
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var analysis = new CompilationAnalysis(compilation, KnownSymbols.TryCreate(compilation)!);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Test0.cs");
        var model = compilation.GetSemanticModel(tree);
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Where(m => m.Body is not null || m.ExpressionBody is not null).ToList();
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

        return analysis;
    }
}
