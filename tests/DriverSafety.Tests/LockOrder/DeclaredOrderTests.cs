using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.LockOrder;

/// <summary>
/// DRV1007 for the declared order ([AcquiredBefore]/[AcquiredAfter]): an acquisition against it is reported live at
/// that acquisition (the held lock's acquire and the attributes as additional locations); a declared order that is
/// itself cyclic is one finding at its first attribute; declared and inferred edges close cycles together (§7.19).
/// </summary>
public sealed class DeclaredOrderTests
{
    [Fact]
    public Task An_acquisition_against_the_declared_order() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|#2:AcquiredBefore("Gem.PagesLock")|}]
            public readonly Mutex Resv = new Mutex();
            public readonly Mutex PagesLock = new Mutex();
        }

        public static class Use
        {
            public static void Right(Gem gem)
            {
                gem.Resv.Lock();
                gem.PagesLock.Lock();
                gem.PagesLock.Unlock();
                gem.Resv.Unlock();
            }

            public static void Wrong(Gem gem)
            {
                {|#1:gem.PagesLock.Lock()|};
                {|#0:gem.Resv.Lock()|};
                gem.Resv.Unlock();
                gem.PagesLock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: 'gem.Resv' (class 'Gem.Resv') is acquired while 'gem.PagesLock' (class 'Gem.PagesLock') is held (acquired at line 20), " +
            "but the declared order puts 'Gem.Resv' first: [AcquiredBefore] on 'Gem.Resv' (Test0.cs:3) declares 'Gem.Resv' before 'Gem.PagesLock'"));

    [Fact]
    public Task Against_a_transitive_declared_order_through_a_callee() => Verify.Analyzer("""
        public static class Dev
        {
            [{|#2:AcquiredBefore("Dev.Middle")|}]
            public static readonly Mutex Outer = new Mutex();

            [{|#3:AcquiredAfter("Dev.Inner")|}]
            public static readonly Mutex Last = new Mutex();

            [{|#4:AcquiredBefore("Dev.Inner")|}]
            public static readonly Mutex Middle = new Mutex();

            public static readonly Mutex Inner = new Mutex();

            private static void TakeOuter()
            {
                Outer.Lock();
                Outer.Unlock();
            }

            public static void Wrong()
            {
                {|#1:Last.Lock()|};
                {|#0:TakeOuter()|};
                Last.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(4).WithLocation(3).WithMessage(
            "Lock-order inversion: 'Dev.Outer' (class 'Dev.Outer') is acquired through 'TakeOuter → Mutex.Lock' while 'Dev.Last' (class 'Dev.Last') is held (acquired at line 22), " +
            "but the declared order puts 'Dev.Outer' first: [AcquiredBefore] on 'Dev.Outer' (Test0.cs:3) declares 'Dev.Outer' before 'Dev.Middle'; " +
            "[AcquiredBefore] on 'Dev.Middle' (Test0.cs:9) declares 'Dev.Middle' before 'Dev.Inner'; " +
            "[AcquiredAfter] on 'Dev.Last' (Test0.cs:6) declares 'Dev.Inner' before 'Dev.Last'"));

    [Fact]
    public Task A_declared_order_on_a_lock_type_applies_to_every_class_of_it() => Verify.Analyzer("""
        [LockType(LockKind.Sleeping)]
        [{|#2:AcquiredAfter("Device.Big")|}]
        public sealed class ObjLock
        {
            [Acquires] public void Lock() { }
            [Releases] public void Unlock() { }
        }

        public sealed class Obj
        {
            public readonly ObjLock Lock = new ObjLock();
        }

        public static class Device
        {
            public static readonly Mutex Big = new Mutex();

            public static void Right(Obj obj)
            {
                Big.Lock();
                obj.Lock.Lock();
                obj.Lock.Unlock();
                Big.Unlock();
            }

            public static void Wrong(Obj obj)
            {
                {|#1:obj.Lock.Lock()|};
                {|#0:Big.Lock()|};
                Big.Unlock();
                obj.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: 'Device.Big' (class 'Device.Big') is acquired while 'obj.Lock' (class 'Obj.Lock') is held (acquired at line 28), " +
            "but the declared order puts 'Device.Big' first: [AcquiredAfter] on 'ObjLock' (Test0.cs:2) declares 'Device.Big' before 'ObjLock'"));

    [Fact]
    public Task A_declared_order_that_is_itself_cyclic_is_one_finding_at_its_first_attribute() => Verify.Analyzer("""
        public static class Dev
        {
            [{|#0:AcquiredBefore("Dev.B")|}]
            public static readonly Mutex A = new Mutex();

            [{|#1:AcquiredBefore("Dev.C")|}]
            public static readonly Mutex B = new Mutex();

            [{|#2:AcquiredBefore("Dev.A")|}]
            public static readonly Mutex C = new Mutex();

            // Every nesting breaks the broken declaration somewhere: the declaration is the finding, not each use.
            public static void Nest()
            {
                C.Lock();
                A.Lock();
                B.Lock();
                B.Unlock();
                A.Unlock();
                C.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: the declared lock order is itself cyclic (Dev.A → Dev.B → Dev.C → Dev.A): " +
            "[AcquiredBefore] on 'Dev.A' (Test0.cs:3) declares 'Dev.A' before 'Dev.B'; " +
            "[AcquiredBefore] on 'Dev.B' (Test0.cs:6) declares 'Dev.B' before 'Dev.C'; " +
            "[AcquiredBefore] on 'Dev.C' (Test0.cs:9) declares 'Dev.C' before 'Dev.A'"));

    [Fact]
    public Task Declared_and_inferred_edges_close_a_cycle_together() => Verify.Analyzer("""
        public static class Dev
        {
            [{|#2:AcquiredBefore("Dev.A")|}]
            public static readonly Mutex C = new Mutex();
            public static readonly Mutex A = new Mutex();
            public static readonly Mutex B = new Mutex();

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
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: lock classes Dev.A → Dev.B → Dev.C → Dev.A are acquired in a cycle: " +
            "'Dev.B' acquired while 'Dev.A' is held in 'AB' (Test0.cs:11); " +
            "'Dev.C' acquired while 'Dev.B' is held in 'BC' (Test0.cs:19); " +
            "[AcquiredBefore] on 'Dev.C' (Test0.cs:3) declares 'Dev.C' before 'Dev.A'"));

    [Fact]
    public Task Same_class_nesting_wins_over_the_declared_order_at_one_site() => Verify.Analyzer("""
        public sealed class Node
        {
            [AcquiredBefore("Node.Gate")]
            public readonly Mutex Lock = new Mutex();
            public readonly Mutex Gate = new Mutex();
        }

        public static class Tree
        {
            // child.Lock is taken under parent.Lock (same class, DRV1010) and under parent.Gate (against the declared
            // order): one finding for one lock at one site, DRV1010 (SPEC §7.22).
            public static void Move(Node parent, Node child)
            {
                {|#1:parent.Lock.Lock()|};
                parent.Gate.Lock();
                {|#0:child.Lock.Lock()|};
                child.Lock.Unlock();
                parent.Gate.Unlock();
                parent.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1));
    [Fact]
    public Task A_declared_order_written_through_an_alias_on_a_nested_type_is_read() => Verify.Analyzer("""
        using First = DriverSafety.AcquiredBeforeAttribute;

        public static class Driver
        {
            public sealed class Gem
            {
                [{|#2:First("Driver.Gem.PagesLock")|}]
                public readonly Mutex Resv = new Mutex();
                public readonly Mutex PagesLock = new Mutex();
            }

            public static void Wrong(Gem gem)
            {
                {|#1:gem.PagesLock.Lock()|};
                {|#0:gem.Resv.Lock()|};
                gem.Resv.Unlock();
                gem.PagesLock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: 'gem.Resv' (class 'Gem.Resv') is acquired while 'gem.PagesLock' (class 'Gem.PagesLock') is held (acquired at line 14), " +
            "but the declared order puts 'Gem.Resv' first: [AcquiredBefore] on 'Gem.Resv' (Test0.cs:7) declares 'Gem.Resv' before 'Gem.PagesLock'"));

    [Fact]
    public Task A_declared_order_on_a_partial_type_in_another_file_is_read() => Verify.Analyzer("""
        public sealed partial class Gem
        {
            public readonly Mutex PagesLock = new Mutex();

            public void Wrong()
            {
                {|#1:PagesLock.Lock()|};
                {|#0:Resv.Lock()|};
                Resv.Unlock();
                PagesLock.Unlock();
            }
        }
        """,
        new VerifyOptions
        {
            ExtraDocuments = new[]
            {
                """
                public sealed partial class Gem
                {
                    [{|#2:AcquiredAfter("Gem.Resv")|}]
                    public readonly Mutex Other = new Mutex();

                    [{|#3:AcquiredBefore("Gem.PagesLock")|}]
                    public readonly Mutex Resv = new Mutex();
                }
                """,
            },
        },
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(3).WithMessage(
            "Lock-order inversion: 'Resv' (class 'Gem.Resv') is acquired while 'PagesLock' (class 'Gem.PagesLock') is held (acquired at line 7), " +
            "but the declared order puts 'Gem.Resv' first: [AcquiredBefore] on 'Gem.Resv' (Test1.cs:6) declares 'Gem.Resv' before 'Gem.PagesLock'"));
    [Fact]
    public Task A_declared_order_written_through_a_global_alias_of_another_file_is_read() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|#2:First("Gem.PagesLock")|}]
            public readonly Mutex Resv = new Mutex();
            public readonly Mutex PagesLock = new Mutex();

            public void Wrong()
            {
                {|#1:PagesLock.Lock()|};
                {|#0:Resv.Lock()|};
                Resv.Unlock();
                PagesLock.Unlock();
            }
        }
        """,
        new VerifyOptions { ExtraDocuments = new[] { "global using First = DriverSafety.AcquiredBeforeAttribute;" } },
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithLocation(2).WithMessage(
            "Lock-order inversion: 'Resv' (class 'Gem.Resv') is acquired while 'PagesLock' (class 'Gem.PagesLock') is held (acquired at line 9), " +
            "but the declared order puts 'Gem.Resv' first: [AcquiredBefore] on 'Gem.Resv' (Test0.cs:3) declares 'Gem.Resv' before 'Gem.PagesLock'"));
}
