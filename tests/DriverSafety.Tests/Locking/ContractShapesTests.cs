using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// Where contracts come from and what they mean over a body (SPEC §7.3–7.5, §7.21–7.22): guards built by constructors,
/// contracts on local functions, operators and indexers, <c>[GuardedBy("this")]</c>, clauses restated on
/// implementations, dropping a required lock around a sleep, one finding per mistake.
/// </summary>
public sealed class ContractShapesTests
{
    private const string Guard = """
        public sealed class Guard : IDisposable
        {
            private readonly Mutex _m;

            [Acquires("m")]
            public Guard(Mutex m)
            {
                _m = m;
                m.Lock();
            }

            [Releases("_m")]
            public void Dispose() => _m.Unlock();
        }

        """;

    [Fact]
    public Task A_using_statement_over_a_constructor_that_acquires_holds_the_lock_until_Dispose() => Verify.Analyzer(Guard + """
        public sealed class Dev
        {
            private readonly Mutex _mu = new Mutex();
            [GuardedBy("_mu")] private int _count;

            public void Bump()
            {
                using (var g = new Guard(_mu))
                {
                    _count++;
                }

                {|#0:_count|}--;
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0));

    [Fact]
    public Task A_using_declaration_over_a_constructor_that_acquires_holds_the_lock_to_the_end() => Verify.Analyzer(Guard + """
        public sealed class Dev
        {
            private readonly Mutex _mu = new Mutex();
            [GuardedBy("_mu")] private int _count;

            public void Bump()
            {
                using var g = new Guard(_mu);
                _count++;
            }
        }
        """);

    [Fact]
    public Task A_local_function_with_Requires_is_checked_at_its_calls_and_analysed_under_it() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            public void Run()
            {
                {|#0:Bump()|};
                _m.Lock();
                Bump();
                _m.Unlock();

                [Requires("_m")]
                void Bump() => _count++;
            }
        }
        """,
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'Bump' requires lock '_m' held exclusively"));

    [Fact]
    public Task Requires_on_an_operator_and_an_indexer_is_checked_at_every_use() => Verify.Analyzer("""
        public sealed class Ring
        {
            public readonly Mutex Lock = new Mutex();
            private readonly int[] _slots = new int[8];

            [Requires("Lock")]
            public int this[int i] => _slots[i];

            [Requires("a.Lock")]
            public static int operator +(Ring a, int n) => a._slots[0] + n;
        }

        public static class User
        {
            public static int Use(Ring ring)
            {
                var x = {|#0:ring[1]|};
                var y = {|#1:ring + 2|};
                ring.Lock.Lock();
                var z = ring[1] + (ring + 2);
                ring.Lock.Unlock();
                return x + y + z;
            }
        }
        """,
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'this[]' requires lock 'ring.Lock' held exclusively"),
        Verify.Diagnostic("DRV1002").WithLocation(1).WithMessage("Calling 'op_Addition' requires lock 'ring.Lock' held exclusively"));

    [Fact]
    public Task GuardedBy_this_is_enforced_and_reacquiring_this_through_a_callee_is_DRV1005() => Verify.Analyzer("""
        public sealed class Dev
        {
            [GuardedBy("this")] private int _count;

            [Acquires]
            public void Enter() => Monitor.Enter(this);

            [Releases]
            public void Exit() => Monitor.Exit(this);

            public void Unlocked() => {|#0:_count|}++;

            public void Locked()
            {
                {|#2:Enter()|};
                _count++;
                {|#1:Helper()|};
                Exit();
            }

            private void Helper()
            {
                Enter();
                _count--;
                Exit();
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Write of '_count' requires lock 'this' held exclusively"),
        Verify.Diagnostic("DRV1005").WithLocation(1).WithLocation(2)
            .WithMessage("Acquiring lock 'this' that is already held (acquired at line 15) through 'Helper → Dev.Enter': self-deadlock"));

    [Fact]
    public Task A_clause_restated_on_the_implementation_with_other_parameter_names_is_one_clause() => Verify.Analyzer("""
        public interface IOps
        {
            [Acquires("o.Lock")] void Take(Obj o);
            [Releases("o.Lock")] void Give(Obj o);
        }

        public sealed class Obj
        {
            public readonly Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int State;
        }

        public sealed class Ops : IOps
        {
            [Acquires("obj.Lock")] public void Take(Obj obj) => obj.Lock.Lock();
            [Releases("obj.Lock")] public void Give(Obj obj) => obj.Lock.Unlock();
        }

        public static class User
        {
            public static void Use(Ops ops, Obj x)
            {
                ops.Take(x);
                x.State++;
                ops.Give(x);
            }
        }
        """);

    [Fact]
    public Task A_method_that_drops_its_required_lock_around_a_sleep_is_clean_and_so_are_its_callers() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            [Requires("_m")]
            public void WaitLocked()
            {
                _m.Unlock();
                Thread.Sleep(1);
                _m.Lock();
                _count++;
            }

            public void Caller()
            {
                _m.Lock();
                WaitLocked();
                _count++;
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_method_that_returns_without_its_required_lock_breaks_its_contract_at_that_exit() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Requires("_m")]
            public int Drop(bool early)
            {
                _m.Unlock();
                if (early)
                    {|#0:return 1;|}
                _m.Lock();
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0).WithMessage("'Drop' declares that it requires lock '_m', but it is not held again at this exit"));

    [Fact]
    public Task A_double_guard_is_one_DRV1005_and_not_also_a_release_at_its_disposal() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Twice()
            {
                using var first = {|#1:_m.LockScoped()|};
                using var second = {|#0:_m.LockScoped()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task A_summary_reports_but_never_changes_the_callers_state() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            private void TakeIt()
            {
                {|#0:_m.Lock()|};
            {|#1:}|}

            public void Caller()
            {
                TakeIt();
                {|#2:_count|}++;
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV1001").WithLocation(2));

    [Fact]
    public Task An_explicit_throw_with_an_acquired_lock_held_is_a_leak_even_under_Acquires() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Acquires("_m")]
            public void Enter(bool broken)
            {
                {|#0:_m.Lock()|};
                if (broken)
                    {|#1:throw new InvalidOperationException("broken");|}
            }

            [Acquires("_m")]
            public void EnterOrFail(bool broken)
            {
                if (broken)
                    throw new InvalidOperationException("not acquired");
                _m.Lock();
            }

            public void Caught()
            {
                _m.Lock();
                try
                {
                    throw new InvalidOperationException("caught");
                }
                catch (InvalidOperationException)
                {
                }
                finally
                {
                    _m.Unlock();
                }
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock '_m' acquired here is still held where 'Enter' exits (line 10)"));

    [Fact]
    public Task A_throw_without_a_required_lock_breaks_the_contract() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Requires("_m")]
            public void Fail()
            {
                _m.Unlock();
                {|#0:throw new InvalidOperationException();|}
            }
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0));
}
