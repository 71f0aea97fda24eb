using Xunit;
using DriverSafety.Tests.Verification;
using static DriverSafety.Tests.Context.ContextKernel;

namespace DriverSafety.Tests.Context;

/// <summary>
/// DRV1008 (seed 002): an allocation that may recurse into reclaim while a lock that reclaim takes is held (an MMU
/// notifier or shrinker acquires it), or inside reclaim context — reported at compilation end, once per site.
/// </summary>
public sealed class ReclaimAllocationTests
{
    private const string Userptr = """
        using DriverSafety;

        public interface INotifier
        {
            [ReclaimContext]
            int Invalidate(long start);
        }

        public sealed class Gem
        {
            public static readonly Mutex StructMutex = new Mutex();
        }

        public sealed class UserptrNotifier : INotifier
        {
            public int Invalidate(long start)
            {
                {|#2:Gem.StructMutex.Lock()|};
                Gem.StructMutex.Unlock();
                return 0;
            }
        }

        public static class MemallocFs
        {
            [MasksAllocationFlags("Fs")] public static uint Save() => 0;
            [UnmasksAllocationFlags] public static void Restore(uint flags) { }
        }

        public static class Userptr
        {
            private static byte[] Grow(int size) => Slab.Kmalloc(size, Gfp.Kernel);

        """;

    [Fact]
    public Task GfpKernelUnderTheLockTheNotifierTakes() => Analyze(Userptr + """
            public static void GetPages()
            {
                {|#1:Gem.StructMutex.Lock()|};
                {|#0:Slab.Kmalloc(4096, Gfp.Kernel)|};
                Slab.Kmalloc(4096, Gfp.NoIo);
                Gem.StructMutex.Unlock();
                Slab.Kmalloc(4096, Gfp.Kernel);
            }
        }
        """,
        Verify.Diagnostic("DRV1008").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "'Kmalloc' may recurse into reclaim (its flags may contain Gfp.Fs|Io) while lock 'Gem.StructMutex' is held: reclaim takes 'Gem.StructMutex' in 'Invalidate' (Test0.cs:18)"));

    [Fact]
    public Task ThroughAHelper() => Analyze(Userptr + """
            public static void GetPages()
            {
                {|#1:Gem.StructMutex.Lock()|};
                {|#0:Grow(4096)|};
                Gem.StructMutex.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1008").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "'Grow' through Grow → Slab.Kmalloc(Gfp.Kernel) may recurse into reclaim (its flags may contain Gfp.Fs|Io) while lock 'Gem.StructMutex' is held: reclaim takes 'Gem.StructMutex' in 'Invalidate' (Test0.cs:18)"));

    [Fact]
    public Task NoreclaimScopeIsCleanAndNofsStillAllowsIo() => Analyze(Userptr + """
            public static void NoReclaim()
            {
                Gem.StructMutex.Lock();
                var scope = Memalloc.NoreclaimSave();
                Slab.Kmalloc(4096, Gfp.Kernel);
                Memalloc.NoreclaimRestore(scope);
                Gem.StructMutex.Unlock();
            }

            public static void NoFs()
            {
                {|#1:Gem.StructMutex.Lock()|};
                var scope = MemallocFs.Save();
                {|#0:Slab.Kmalloc(4096, Gfp.Kernel)|};
                MemallocFs.Restore(scope);
                Gem.StructMutex.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1008").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "'Kmalloc' may recurse into reclaim (its flags may contain Gfp.Io) while lock 'Gem.StructMutex' is held: reclaim takes 'Gem.StructMutex' in 'Invalidate' (Test0.cs:18)"));

    [Fact]
    public Task ShrinkerThatOnlyTryLocksMakesNoReclaimLock() => Analyze("""
        using DriverSafety;

        public abstract class Shrinker
        {
            [ReclaimContext] public abstract long Scan(int count);
        }

        public static class Lru
        {
            public static readonly Mutex Lock = new Mutex();
        }

        public sealed class GemShrinker : Shrinker
        {
            public override long Scan(int count)
            {
                if (!Lru.Lock.TryLock())
                {
                    return 0;
                }

                Lru.Lock.Unlock();
                return count;
            }
        }

        public static class Driver
        {
            public static void Populate()
            {
                Lru.Lock.Lock();
                Slab.Kmalloc(4096, Gfp.Kernel);
                Lru.Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task AllocationInsideReclaimContext() => Analyze("""
        using DriverSafety;

        public abstract class Shrinker
        {
            [ReclaimContext] public abstract long Scan(int count);
        }

        public sealed class GreedyShrinker : Shrinker
        {
            public override long Scan(int count)
            {
                {|#0:Slab.Kmalloc(64, Gfp.Kernel)|};
                Slab.Kmalloc(64, Gfp.NoIo);
                return count;
            }
        }
        """,
        Verify.Diagnostic("DRV1008").WithLocation(0).WithMessage(
            "'Kmalloc' may recurse into reclaim (its flags may contain Gfp.Fs|Io) while 'Scan' runs in reclaim context: the allocation can wait on the reclaim that is running it"));

    [Fact]
    public Task SleepingUnderAReclaimSpinlockIsDrv2001Only() => Analyze("""
        using DriverSafety;

        public interface INotifier
        {
            [ReclaimContext] int Invalidate(long start);
        }

        public static class Pt
        {
            public static readonly SpinLock Lock = new SpinLock();
        }

        public sealed class Notifier : INotifier
        {
            public int Invalidate(long start)
            {
                Pt.Lock.Lock();
                Pt.Lock.Unlock();
                return 0;
            }
        }

        public static class Driver
        {
            public static void Map()
            {
                {|#1:Pt.Lock.Lock()|};
                {|#0:Slab.Kmalloc(64, Gfp.Kernel)|};
                Pt.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Kmalloc' may sleep (its flags may contain Gfp.DirectReclaim) while spinning lock 'Pt.Lock' is held"));
}
