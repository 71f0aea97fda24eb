using DriverSafety.CodeFixes;
using DriverSafety.Tests.Context;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV2001 and DRV1008's fix: constant allocation flags replaced by a member that cannot sleep, or cannot recurse into reclaim.</summary>
public sealed class ReplaceAllocationFlagsCodeFixTests
{
    [Fact]
    public Task Sleeping_flags_under_a_spinlock_become_atomic() => Verify.CodeFix<ReplaceAllocationFlagsCodeFix>("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            private byte[] Grow(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);

            public void Fill()
            {
                {|#1:_lock.Lock()|};
                {|#0:Slab.Kmalloc(64, Gfp.Kernel)|};
                {|#2:Grow(8, Gfp.NoIo)|};
                _lock.Unlock();
            }
        }
        """, """
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            private byte[] Grow(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);

            public void Fill()
            {
                _lock.Lock();
                Slab.Kmalloc(64, Gfp.Atomic);
                Grow(8, Gfp.Atomic);
                _lock.Unlock();
            }
        }
        """,
        ContextKernel.Options with { CodeActionEquivalenceKey = ReplaceAllocationFlagsCodeFix.EquivalenceKey },
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(1));

    [Fact]
    public Task The_second_action_offers_nowait() => Verify.CodeFix<ReplaceAllocationFlagsCodeFix>("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Fill()
            {
                {|#1:_lock.Lock()|};
                {|#0:Slab.Kmalloc(64, Gfp.Kernel)|};
                _lock.Unlock();
            }
        }
        """, """
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Fill()
            {
                _lock.Lock();
                Slab.Kmalloc(64, Gfp.NoWait);
                _lock.Unlock();
            }
        }
        """,
        ContextKernel.Options with { CodeActionEquivalenceKey = ReplaceAllocationFlagsCodeFix.EquivalenceKey + ".2", FixedTitle = "Use 'Gfp.NoWait'" },
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1));

    [Fact]
    public Task Reclaiming_flags_under_a_reclaim_lock_become_noio() => Verify.CodeFix<ReplaceAllocationFlagsCodeFix>("""
        public interface INotifier
        {
            [ReclaimContext] int Invalidate(long start);
        }

        public static class Gem
        {
            public static readonly Mutex StructMutex = new Mutex();
        }

        public sealed class Notifier : INotifier
        {
            public int Invalidate(long start)
            {
                {|#2:Gem.StructMutex.Lock()|};
                Gem.StructMutex.Unlock();
                return 0;
            }
        }

        public static class Userptr
        {
            public static void GetPages()
            {
                {|#1:Gem.StructMutex.Lock()|};
                {|#0:Slab.Kmalloc(4096, Gfp.Kernel)|};
                Gem.StructMutex.Unlock();
            }
        }
        """, """
        public interface INotifier
        {
            [ReclaimContext] int Invalidate(long start);
        }

        public static class Gem
        {
            public static readonly Mutex StructMutex = new Mutex();
        }

        public sealed class Notifier : INotifier
        {
            public int Invalidate(long start)
            {
                Gem.StructMutex.Lock();
                Gem.StructMutex.Unlock();
                return 0;
            }
        }

        public static class Userptr
        {
            public static void GetPages()
            {
                Gem.StructMutex.Lock();
                Slab.Kmalloc(4096, Gfp.NoIo);
                Gem.StructMutex.Unlock();
            }
        }
        """,
        // DRV1008 is reported at compilation end: the IDE's light bulb does not offer fixes for such findings, dotnet format
        // and Fix All do, which is what this checks.
        ContextKernel.Options with
        {
            CodeActionEquivalenceKey = ReplaceAllocationFlagsCodeFix.EquivalenceKey,
            FixedTitle = "Use 'Gfp.NoIo'",
            CodeFixTestBehaviors = Microsoft.CodeAnalysis.Testing.CodeFixTestBehaviors.SkipLocalDiagnosticCheck,
        },
        Verify.Diagnostic("DRV1008").WithLocation(0).WithLocation(1).WithLocation(2));

    [Fact]
    public Task No_flag_change_for_a_sleep_that_is_not_an_allocation() => Verify.CodeFix<ReplaceAllocationFlagsCodeFix>("""
        using System.Threading;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Wait()
            {
                {|#1:_lock.Lock()|};
                {|#0:Thread.Sleep(1)|};
                {|#2:Sched.Msleep(1)|};
                _lock.Unlock();
            }
        }
        """, """
        using System.Threading;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Wait()
            {
                {|#1:_lock.Lock()|};
                {|#0:Thread.Sleep(1)|};
                {|#2:Sched.Msleep(1)|};
                _lock.Unlock();
            }
        }
        """,
        ContextKernel.Options,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(1));
}
