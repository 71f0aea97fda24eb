using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.LockOrder;

/// <summary>
/// DRV1010: two locks of one class held together, not both acquired with one [AcquireContext] argument, reported at
/// the acquire (or the call that leads to it) with the held lock's acquire as additional location; the same lock again
/// is DRV1005, never also DRV1010 (SPEC §5, §7.19, §7.22).
/// </summary>
public sealed class NestedLocksOfOneClassTests
{
    private const string Bo = """
        public sealed class Bo
        {
            public readonly DmaResv Resv = new DmaResv();
            public int Pages;
        }

        """;

    [Fact]
    public Task Two_reservations_without_an_acquire_context() => Verify.Analyzer(Bo + """
        public static class Exec
        {
            public static int LockBoth(Bo a, Bo b)
            {
                if ({|#1:a.Resv.Lock(null)|} != 0)
                    return -Errno.EINVAL;
                if ({|#0:b.Resv.Lock(null)|} != 0)
                {
                    a.Resv.Unlock();
                    return -Errno.EINVAL;
                }

                b.Resv.Unlock();
                a.Resv.Unlock();
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring 'b.Resv' while holding 'a.Resv' (acquired at line 10) of the same lock class 'Bo.Resv' without an [AcquireContext]: " +
            "two locks of one class nest only with lockdep subclasses or one wound/wait acquire context"));

    [Fact]
    public Task The_full_deadlock_back_off_with_one_acquire_context_is_clean() => Verify.Analyzer(Bo + """
        public static class Exec
        {
            public static int LockBoth(Bo a, Bo b)
            {
                var ctx = new WwAcquireContext();
                var ret = a.Resv.Lock(ctx);
                if (ret != 0)
                    return ret;

                ret = b.Resv.Lock(ctx);
                if (ret == -Errno.EDEADLK)
                {
                    // Wounded: drop what we hold, sleep on the contended lock, then take the rest again.
                    a.Resv.Unlock();
                    b.Resv.LockSlow(ctx);
                    if (a.Resv.Lock(ctx) != 0)
                    {
                        b.Resv.Unlock();
                        return -Errno.EDEADLK;
                    }
                }
                else if (ret != 0)
                {
                    a.Resv.Unlock();
                    return ret;
                }

                a.Pages++;
                b.Pages++;
                b.Resv.Unlock();
                a.Resv.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task Two_acquire_contexts_are_not_one() => Verify.Analyzer(Bo + """
        public static class Exec
        {
            public static void LockBoth(Bo a, Bo b, WwAcquireContext first, WwAcquireContext second)
            {
                {|#1:a.Resv.LockSlow(first)|};
                {|#0:b.Resv.LockSlow(second)|};
                b.Resv.Unlock();
                a.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring 'b.Resv' while holding 'a.Resv' (acquired at line 10) of the same lock class 'Bo.Resv' with a different [AcquireContext]: " +
            "two locks of one class nest only with lockdep subclasses or one wound/wait acquire context"));

    [Fact]
    public Task A_lock_held_by_contract_was_not_taken_with_the_acquire_context() => Verify.Analyzer(Bo + """
        public static class Exec
        {
            [Requires("held.Resv")]
            public static void AddOther(Bo held, Bo other, WwAcquireContext ctx)
            {
                {|#0:other.Resv.LockSlow(ctx)|};
                other.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithMessage(
            "Acquiring 'other.Resv' while holding 'held.Resv' (held by contract) of the same lock class 'Bo.Resv' with an [AcquireContext] the held lock was not acquired with: " +
            "two locks of one class nest only with lockdep subclasses or one wound/wait acquire context"));

    [Fact]
    public Task A_helper_that_locks_with_the_callers_acquire_context_is_clean() => Verify.Analyzer(Bo + """
        public static class Exec
        {
            private static void Reserve(Bo bo, WwAcquireContext ctx)
            {
                bo.Resv.LockSlow(ctx);
                bo.Pages++;
                bo.Resv.Unlock();
            }

            public static void ReserveOther(Bo held, Bo other, WwAcquireContext ctx)
            {
                held.Resv.LockSlow(ctx);
                Reserve(other, ctx);
                held.Resv.Unlock();
            }

            public static void ReserveOtherWithoutContext(Bo held, Bo other, WwAcquireContext ctx)
            {
                {|#1:held.Resv.LockSlow(ctx)|};
                {|#0:Reserve(other, new WwAcquireContext())|};
                held.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring 'other.Resv' while holding 'held.Resv' (acquired at line 24) of the same lock class 'Bo.Resv' without an [AcquireContext] through 'Reserve → DmaResv.LockSlow': " +
            "two locks of one class nest only with lockdep subclasses or one wound/wait acquire context"));

    [Fact]
    public Task A_callback_that_reserves_the_buffer_its_caller_reserved_is_a_self_deadlock_at_the_call() => Verify.Analyzer(Bo + """
        public static class Exec
        {
            private static void Populate(Bo bo)
            {
                if (bo.Resv.Lock(null) == 0)
                {
                    bo.Pages++;
                    bo.Resv.Unlock();
                }
            }

            public static void Submit(Bo bo)
            {
                if ({|#1:bo.Resv.Lock(null)|} != 0)
                    return;
                {|#0:Populate(bo)|};
                bo.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring lock 'bo.Resv' that is already held (acquired at line 19) through 'Populate → DmaResv.Lock': self-deadlock"));

    private const string Fences = """
        public sealed class Timeline
        {
            public readonly SpinLock Lock = new SpinLock();
            public int Seqno;
        }

        public sealed class Fence
        {
            public Fence(Timeline timeline) => Timeline = timeline;
            public Timeline Timeline { get; }
        }

        public static class FenceOps
        {
            // dma_fence_release: the last reference goes, and the fence leaves its timeline's list.
            private static void Release(Fence fence)
            {
                fence.Timeline.Lock.Lock();
                fence.Timeline.Seqno++;
                fence.Timeline.Lock.Unlock();
            }

            // The callback drops the reference it held on the fence.
            public static void OnSignaled(Fence fence) => Release(fence);

        """;

    [Fact]
    public Task A_fence_callback_that_takes_the_signalling_timelines_lock_is_a_self_deadlock() => Verify.Analyzer(Fences + """
            public static void Signal(Fence fence)
            {
                {|#1:fence.Timeline.Lock.Lock()|};
                {|#0:OnSignaled(fence)|};
                fence.Timeline.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring lock 'fence.Timeline.Lock' that is already held (acquired at line 27) through 'OnSignaled → Release → SpinLock.Lock': self-deadlock"));

    [Fact]
    public Task A_fence_callback_that_takes_another_timelines_lock_nests_one_class() => Verify.Analyzer(Fences + """
            public static void SignalAll(Timeline timeline, Fence fence)
            {
                {|#1:timeline.Lock.Lock()|};
                {|#0:OnSignaled(fence)|};
                timeline.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring 'fence.Timeline.Lock' while holding 'timeline.Lock' (acquired at line 27) of the same lock class 'Timeline.Lock' without an [AcquireContext] through 'OnSignaled → Release → SpinLock.Lock': " +
            "two locks of one class nest only with lockdep subclasses or one wound/wait acquire context"));

    private const string Nodes = """
        public sealed class Node
        {
            public readonly Mutex Lock = new Mutex();
            public int Size;

            [Acquires("Lock", Subclass = 1)]
            public void LockNested() => Lock.Lock();
        }

        """;

    [Fact]
    public Task Parent_and_child_with_subclasses_are_clean() => Verify.Analyzer(Nodes + """
        public static class Tree
        {
            public static void Move(Node parent, Node child)
            {
                parent.Lock.Lock();
                child.LockNested();
                parent.Size += child.Size;
                child.Lock.Unlock();
                parent.Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task Parent_and_child_without_subclasses_nest_one_class() => Verify.Analyzer(Nodes + """
        public static class Tree
        {
            public static void Move(Node parent, Node child)
            {
                {|#1:parent.Lock.Lock()|};
                {|#0:child.Lock.Lock()|};
                parent.Size += child.Size;
                child.Lock.Unlock();
                parent.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1).WithMessage(
            "Acquiring 'child.Lock' while holding 'parent.Lock' (acquired at line 13) of the same lock class 'Node.Lock' without an [AcquireContext]: " +
            "two locks of one class nest only with lockdep subclasses or one wound/wait acquire context"));

    [Fact]
    public Task Locks_of_different_classes_or_taken_one_after_the_other_are_clean() => Verify.Analyzer(Nodes + Bo + """
        public static class Tree
        {
            public static void Sequential(Node a, Node b)
            {
                a.Lock.Lock();
                a.Lock.Unlock();
                b.Lock.Lock();
                b.Lock.Unlock();
            }

            public static void DifferentClasses(Node node, Bo bo)
            {
                node.Lock.Lock();
                if (bo.Resv.Lock(null) == 0)
                    bo.Resv.Unlock();
                node.Lock.Unlock();
            }

            public static void TryTheOther(Node a, Node b)
            {
                a.Lock.Lock();
                if (b.Lock.TryLock())
                    b.Lock.Unlock();
                a.Lock.Unlock();
            }
        }
        """);
}
