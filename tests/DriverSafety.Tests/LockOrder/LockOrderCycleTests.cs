using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.LockOrder;

/// <summary>
/// DRV1007 at compilation end: cycles of the inferred lock-order graph (nesting in a body or through callees'
/// summaries), one finding per strongly connected group, at the first witness in (file, position) order, the other
/// witnesses as additional locations, every acquisition path in the message (SPEC §5, §7.19).
/// </summary>
public sealed class LockOrderCycleTests
{
    [Fact]
    public Task Mmap_sem_and_struct_mutex_in_both_orders_through_helpers() => Verify.Analyzer("""
        public sealed class MmStruct
        {
            public readonly RwSemaphore MmapLock = new RwSemaphore();
        }

        public static class Drm
        {
            public static readonly Mutex StructMutex = new Mutex();

            private static void Evict()
            {
                StructMutex.Lock();
                StructMutex.Unlock();
            }

            private static void PinUserPages(MmStruct mm)
            {
                mm.MmapLock.DownRead();
                mm.MmapLock.UpRead();
            }

            // The fault handler runs with mmap_sem held and evicts under struct_mutex.
            public static void Fault(MmStruct mm)
            {
                mm.MmapLock.DownRead();
                {|#0:Evict()|};
                mm.MmapLock.UpRead();
            }

            // The userptr ioctl holds struct_mutex and pins user pages, which takes mmap_sem.
            public static void Userptr(MmStruct mm)
            {
                StructMutex.Lock();
                {|#1:PinUserPages(mm)|};
                StructMutex.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithMessage(
            "Lock-order inversion: lock classes MmStruct.MmapLock → Drm.StructMutex → MmStruct.MmapLock are acquired in a cycle: " +
            "'Drm.StructMutex' acquired while 'MmStruct.MmapLock' is held in 'Fault' (Test0.cs:26, through Evict → Mutex.Lock); " +
            "'MmStruct.MmapLock' acquired while 'Drm.StructMutex' is held in 'Userptr' (Test0.cs:34, through PinUserPages → RwSemaphore.DownRead)"));

    [Fact]
    public Task Three_classes_in_a_cycle_is_one_finding() => Verify.Analyzer("""
        public static class Locks
        {
            public static readonly Mutex A = new Mutex();
            public static readonly Mutex B = new Mutex();
            public static readonly Mutex C = new Mutex();

            public static void AB()
            {
                A.Lock();
                {|#0:B.Lock()|};
                B.Unlock();
                A.Unlock();
            }

            public static void BC()
            {
                B.Lock();
                {|#1:C.Lock()|};
                C.Unlock();
                B.Unlock();
            }

            public static void CA()
            {
                C.Lock();
                {|#2:A.Lock()|};
                A.Unlock();
                C.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: lock classes Locks.A → Locks.B → Locks.C → Locks.A are acquired in a cycle: " +
            "'Locks.B' acquired while 'Locks.A' is held in 'AB' (Test0.cs:10); " +
            "'Locks.C' acquired while 'Locks.B' is held in 'BC' (Test0.cs:18); " +
            "'Locks.A' acquired while 'Locks.C' is held in 'CA' (Test0.cs:26)"));

    [Fact]
    public Task One_order_everywhere_is_clean() => Verify.Analyzer("""
        public static class Locks
        {
            public static readonly Mutex A = new Mutex();
            public static readonly Mutex B = new Mutex();
            public static readonly Mutex C = new Mutex();

            private static void TakeC() { C.Lock(); C.Unlock(); }

            public static void AB() { A.Lock(); B.Lock(); B.Unlock(); A.Unlock(); }
            public static void BC() { B.Lock(); TakeC(); B.Unlock(); }
            public static void AC() { A.Lock(); TakeC(); A.Unlock(); }
            public static void Separately() { B.Lock(); B.Unlock(); A.Lock(); A.Unlock(); }
        }
        """);

    [Fact]
    public Task A_try_lock_in_the_other_order_adds_no_edge() => Verify.Analyzer("""
        public static class Locks
        {
            public static readonly Mutex A = new Mutex();
            public static readonly Mutex B = new Mutex();

            public static void AB() { A.Lock(); B.Lock(); B.Unlock(); A.Unlock(); }

            public static void BA()
            {
                B.Lock();
                if (A.TryLock())
                    A.Unlock();
                B.Unlock();
            }
        }
        """);

    [Fact]
    public Task Locks_of_one_type_through_a_parameter_are_classed_by_the_callers_path() => Verify.Analyzer("""
        public sealed class Gem
        {
            public readonly Mutex Resv = new Mutex();
            public readonly Mutex PagesLock = new Mutex();
        }

        public static class Paths
        {
            private static void Take(Mutex m) { m.Lock(); m.Unlock(); }

            public static void ResvThenPages(Gem gem)
            {
                gem.Resv.Lock();
                {|#0:Take(gem.PagesLock)|};
                gem.Resv.Unlock();
            }

            public static void PagesThenResv(Gem gem)
            {
                gem.PagesLock.Lock();
                {|#1:Take(gem.Resv)|};
                gem.PagesLock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithMessage(
            "Lock-order inversion: lock classes Gem.Resv → Gem.PagesLock → Gem.Resv are acquired in a cycle: " +
            "'Gem.PagesLock' acquired while 'Gem.Resv' is held in 'ResvThenPages' (Test0.cs:14, through Take → Mutex.Lock); " +
            "'Gem.Resv' acquired while 'Gem.PagesLock' is held in 'PagesThenResv' (Test0.cs:21, through Take → Mutex.Lock)"));

    [Fact]
    public Task Witnesses_in_two_files_report_at_the_first_file() => Verify.Analyzer("""
        public static class Locks
        {
            public static readonly Mutex A = new Mutex();
            public static readonly Mutex B = new Mutex();

            public static void BA()
            {
                B.Lock();
                {|#1:A.Lock()|};
                A.Unlock();
                B.Unlock();
            }
        }
        """,
        new VerifyOptions
        {
            ExtraDocuments = new[]
            {
                """
                public static class Other
                {
                    public static void AB()
                    {
                        Locks.A.Lock();
                        {|#0:Locks.B.Lock()|};
                        Locks.B.Unlock();
                        Locks.A.Unlock();
                    }
                }
                """,
            },
        },
        Verify.Diagnostic("DRV1007").WithLocation(1).WithLocation(0).WithMessage(
            "Lock-order inversion: lock classes Locks.B → Locks.A → Locks.B are acquired in a cycle: " +
            "'Locks.A' acquired while 'Locks.B' is held in 'BA' (Test0.cs:9); " +
            "'Locks.B' acquired while 'Locks.A' is held in 'AB' (Test1.cs:6)"));
    [Fact]
    public Task A_lock_the_caller_cannot_name_is_classed_by_its_lock_type() => Verify.Analyzer("""
        public static class Registry
        {
            public static Mutex Find(int id) => new Mutex();
        }

        public static class Dev
        {
            public static readonly Mutex Big = new Mutex();

            // The callee's own local: the caller cannot name it, so its class is its lock type, a node of its own.
            private static void TakeAny(int id)
            {
                var m = Registry.Find(id);
                m.Lock();
                m.Unlock();
            }

            public static void BigThenAny()
            {
                Big.Lock();
                {|#0:TakeAny(1)|};
                Big.Unlock();
            }

            public static void AnyThenBig(Mutex m)
            {
                m.Lock();
                {|#1:Big.Lock()|};
                Big.Unlock();
                m.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithMessage(
            "Lock-order inversion: lock classes Dev.Big → Mutex → Dev.Big are acquired in a cycle: " +
            "'Mutex' acquired while 'Dev.Big' is held in 'BigThenAny' (Test0.cs:21, through TakeAny → Mutex.Lock); " +
            "'Dev.Big' acquired while 'Mutex' is held in 'AnyThenBig' (Test0.cs:28)"));
}
