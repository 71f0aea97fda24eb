using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// What counts as a read or a write of a guarded member, where a lambda runs, and what a local stands for
/// (SPEC §3.1 WritesOnly, §7.6b–7.6d), with the messages that say where else to look.
/// </summary>
public sealed class GuardedUseTests
{
    private const string Tx = """
        public struct Desc
        {
            public int Len;
            public void Bump() => Len++;
            public readonly int Peek() => Len;
        }

        public static class Tx
        {
            public static readonly Mutex Lock = new Mutex();
            [GuardedBy("Tx.Lock")] public static Desc[] Descs = new Desc[4];
            [GuardedBy("Tx.Lock")] public static int Dropped;
            [GuardedBy("Tx.Lock")] public static Desc Head;
            [GuardedBy("Tx.Lock")] public static System.Collections.Generic.List<int> Queue = new System.Collections.Generic.List<int>();
        }

        """;

    [Fact]
    public Task Writing_a_field_of_a_guarded_struct_is_a_write() => Verify.Analyzer(Tx + """
        public static class User
        {
            public static int Use()
            {
                {|#0:Tx.Head|}.Len = 1;
                {|#1:Tx.Head|}.Bump();
                return {|#2:Tx.Head|}.Peek();
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Write of 'Head' requires lock 'Tx.Lock' held exclusively"),
        Verify.Diagnostic("DRV1001").WithLocation(1).WithMessage("Write of 'Head' requires lock 'Tx.Lock' held exclusively"),
        Verify.Diagnostic("DRV1001").WithLocation(2).WithMessage("Read of 'Head' requires lock 'Tx.Lock' held"));

    [Fact]
    public Task A_collection_mutator_under_a_shared_hold_is_a_write() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly RwSemaphore _sem = new RwSemaphore();
            [GuardedBy("_sem")] private readonly System.Collections.Generic.List<int> _items = new System.Collections.Generic.List<int>();

            public int Add(int x)
            {
                {|#1:_sem.DownRead()|};
                var n = _items.Count;
                {|#0:_items|}.Add(x);
                _sem.UpRead();
                return n;
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithLocation(1).WithMessage("Write of '_items' requires lock '_sem' held exclusively (it is held shared)"));

    [Fact]
    public Task A_constructor_and_an_object_initializer_of_a_fresh_object_access_guarded_members_freely() => Verify.Analyzer("""
        public sealed class Ring
        {
            public readonly Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Head;
            [GuardedBy("Lock")] public int Tail { get; set; }

            public Ring(int head)
            {
                Head = head;
                Tail = head;
            }
        }

        public static class Factory
        {
            public static Ring Make() => new Ring(0) { Head = 1, Tail = 2 };
        }
        """);

    [Fact]
    public Task A_local_never_reassigned_stands_for_its_access_path() => Verify.Analyzer(Tx + """
        public static class User
        {
            public static void Drop()
            {
                var l = Tx.Lock;
                l.Lock();
                Tx.Dropped++;
                l.Unlock();
            }

            public static void Reassigned(Mutex other)
            {
                var l = Tx.Lock;
                l = other;
                l.Lock();
                {|#0:Tx.Dropped|}++;
                l.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0));

    [Fact]
    public Task Lambdas_that_run_at_once_run_in_the_callers_state() => Verify.Analyzer("using System.Linq;\n" + Tx + """
        public static class User
        {
            public static int Total(System.Collections.Generic.List<int> indexes)
            {
                Tx.Lock.Lock();
                var sum = indexes.Sum(i => Tx.Descs[i].Len);
                var big = indexes.Where(i => Tx.Descs[i].Len > 4).Count();
                indexes.ForEach(i => Tx.Dropped += i);
                foreach (var i in indexes.Where(i => Tx.Descs[i].Len > 0))
                    sum += i;
                var joined = string.Join(",", indexes.Select(i => Tx.Descs[i].Len));
                Tx.Lock.Unlock();
                return sum + big + joined.Length;
            }
        }
        """);

    [Fact]
    public Task A_lambda_that_runs_later_runs_with_no_lock_held_and_says_so() => Verify.Analyzer(Tx + """
        public static class User
        {
            public static Task Later()
            {
                Tx.Lock.Lock();
                var task = Task.Run(() => {|#0:Tx.Dropped|}++);
                Tx.Lock.Unlock();
                return task;
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0)
            .WithMessage("Write of 'Dropped' requires lock 'Tx.Lock' held exclusively (in a lambda, which runs later with no lock held)"));

    [Fact]
    public Task A_lambda_that_runs_at_once_must_leave_the_callers_locks_as_it_found_them() => Verify.Analyzer(Tx + """
        public static class User
        {
            public static void Drain(System.Collections.Generic.List<int> items)
            {
                Tx.Lock.Lock();
                items.ForEach(i =>
                {
                    Tx.Lock.Unlock();
                {|#0:}|});
                Tx.Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0).WithMessage("'lambda' declares that it runs under its caller's lock 'Tx.Lock', but it is not held again at this exit"));

    [Fact]
    public Task A_parameter_marked_InvokedBeforeReturn_runs_its_lambda_in_the_callers_state() => Verify.Analyzer(Tx + """
        public static class Idr
        {
            public static void ForEach(int n, [InvokedBeforeReturn] Action<int> visit)
            {
                for (var i = 0; i < n; i++)
                    visit(i);
            }
        }

        public static class User
        {
            public static void Walk()
            {
                Tx.Lock.Lock();
                Idr.ForEach(3, i => Tx.Dropped += i);
                Tx.Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task WritesOnly_reads_are_lock_free_snapshots_and_writes_need_the_lock() => Verify.Analyzer("""
        public sealed class Resv
        {
            public readonly Mutex Lock = new Mutex();
            [GuardedBy("Lock", WritesOnly = true)] public int[] Fences = new int[0];

            public int Count() => Fences.Length;

            public void Publish(int[] next) => {|#0:Fences|} = next;

            public void PublishLocked(int[] next)
            {
                Lock.Lock();
                Fences = next;
                Lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Write of 'Fences' requires lock 'Lock' held exclusively"));

    [Fact]
    public Task A_delegate_type_with_Requires_checks_every_invocation_and_runs_its_lambdas_under_the_lock() => Verify.Analyzer("""
        public sealed class Shrinker
        {
            public readonly Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Scanned;
        }

        [Requires("s.Lock")]
        public delegate int ScanFn(Shrinker s, int n);

        public static class Mm
        {
            public static readonly ScanFn Scan = (s, n) => s.Scanned += n;

            public static int Run(Shrinker s, ScanFn fn)
            {
                var early = {|#0:fn(s, 1)|};
                s.Lock.Lock();
                var late = fn(s, 2);
                s.Lock.Unlock();
                return early + late;
            }
        }
        """,
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'Invoke' requires lock 's.Lock' held exclusively"));

    [Fact]
    public Task A_method_converted_to_a_delegate_type_needs_its_requirements_promised_by_the_type() => Verify.Analyzer("""
        public sealed class Shrinker
        {
            public readonly Mutex Lock = new Mutex();
            public readonly Mutex Other = new Mutex();
            [GuardedBy("Lock")] public int Scanned;

            [Requires("Lock")]
            public int Mine(Shrinker s, int n) => n;
        }

        [Requires("s.Lock")]
        public delegate int ScanFn(Shrinker s, int n);

        public static class Mm
        {
            [Requires("s.Lock")]
            public static int Promised(Shrinker s, int n) => s.Scanned += n;

            [Requires("s.Other")]
            public static int NotPromised(Shrinker s, int n) => n;

            public static ScanFn[] All(Shrinker owner) => new ScanFn[] { Promised, {|#0:NotPromised|}, {|#1:owner.Mine|} };
        }
        """,
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage(
            "Calling 'NotPromised' requires lock 's.Other' held by every invocation of 'ScanFn', which does not require it (add it to the delegate type's [Requires], or take the lock in 'NotPromised')"),
        Verify.Diagnostic("DRV1002").WithLocation(1).WithMessage(
            "Calling 'Mine' requires lock 'Lock' held by every invocation of 'ScanFn', which does not require it (add it to the delegate type's [Requires], or take the lock in 'Mine')"));

    [Fact]
    public Task NoAnalysis_bodies_are_trusted_and_their_contract_taken_at_its_word() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            [NoAnalysis, Acquires("_m")]
            public void LockBoth()
            {
                _count++;
            }

            public void Use()
            {
                LockBoth();
                _count++;
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_second_release_points_at_the_first() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Twice()
            {
                _m.Lock();
                {|#1:_m.Unlock()|};
                {|#0:_m.Unlock()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1004").WithLocation(0).WithLocation(1).WithMessage("Releasing lock '_m' that is not held on this path (it was released at line 8)"));

    [Fact]
    public Task A_leak_released_in_an_unannotated_helper_says_to_annotate_it() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                {|#0:_m.Lock()|};
                Finish(_m);
            {|#1:}|}

            private static void Finish(Mutex m)
            {
                {|#2:m.Unlock()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1)
            .WithMessage("Lock '_m' acquired here is still held where 'Start' exits (line 9); if 'Finish' releases it, add [Releases(\"m\")] to 'Finish'"),
        Verify.Diagnostic("DRV1004").WithLocation(2));

    [Fact]
    public Task An_implicit_Dispose_reports_at_the_using_declaration() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Early()
            {
                {|#0:using var g = _m.LockScoped();|}
                {|#1:_m.Unlock()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1004").WithLocation(0).WithLocation(1));
}
