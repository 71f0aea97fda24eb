using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// Correct code in the shapes drivers use, which must stay silent (false positives are bugs): spin-until-trylock,
/// early-return trylock, the wound/wait ladder, switch expressions (whose compiler-made throw is no exit), iterators
/// and async methods, irqsave, re-entrant monitors, scoped guards, goto ladders, continue, catch-release-rethrow,
/// lambdas run at once, patterns over try-lock results, local functions, exception filters; and the explicit throw
/// expression that is an exit.
/// </summary>
public sealed class CorrectShapesTests
{
    [Fact]
    public Task Driver_shapes_that_are_correct_stay_silent() => Verify.Analyzer("""
        using System.Linq;
        using System.Collections.Generic;

        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
            public readonly SpinLock S = new SpinLock();
            public readonly RwSemaphore Sem = new RwSemaphore();
            public readonly DmaResv Resv = new DmaResv();
            [GuardedBy("M")] public int Count;
            [GuardedBy("M")] public List<int> Items = new List<int>();
            [GuardedBy("S")] public bool Ready;
            [GuardedBy("Sem")] public int Mapped;

            public void SpinUntil() { while (!M.TryLock()) { } Count++; M.Unlock(); }
            public int Early() { if (!M.TryLock()) return -1; Count++; M.Unlock(); return 0; }
            public int Ww(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret == -Errno.EDEADLK) { Resv.LockSlow(ctx); }
                else if (ret != 0) return ret;
                Resv.Unlock();
                return 0;
            }
            public int Switch(int x)
            {
                M.Lock();
                var r = x switch { 0 => Count, 1 => Count + 1, _ => 0 };
                M.Unlock();
                return r;
            }
            public IEnumerable<int> Iterate() { M.Lock(); try { yield return Count; } finally { M.Unlock(); } }
            public async Task Async() { M.Lock(); Count++; M.Unlock(); await Task.Yield(); }
            public void Irq() { var f = S.LockIrqSave(); Ready = true; S.UnlockIrqRestore(f); }
            public int Nested() { lock (this) { lock (this) { return 1; } } }
            public void Scoped() { using (M.LockScoped()) { Count++; } }
            public void Goto(int n) { M.Lock(); if (n > 0) goto out_unlock; Count++; out_unlock: M.Unlock(); }
            public void Continue(int n) { for (var i = 0; i < n; i++) { M.Lock(); if (Count > 3) { M.Unlock(); continue; } Count++; M.Unlock(); } }
            public void Rethrow() { M.Lock(); try { Count++; } catch (Exception) { M.Unlock(); throw; } M.Unlock(); }
            public bool Any() { M.Lock(); var b = Items.Any(i => i > Count); M.Unlock(); return b; }
            public int ReadShared() { Sem.DownRead(); var m = Mapped; Sem.UpRead(); return m; }
            public bool Pattern() { if (M.TryLock() is true) { Count++; M.Unlock(); return true; } return false; }
            public void Local() { M.Lock(); Bump(); M.Unlock(); void Bump() => Count++; }
            public int Filter() { M.Lock(); try { return Count; } catch (Exception e) when (e is InvalidOperationException) { return -1; } finally { M.Unlock(); } }
        }
        """);

    [Fact]
    public Task A_throw_expression_holding_the_lock_is_an_exit() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
            [GuardedBy("M")] public int Count;

            public int Get(int x)
            {
                {|#0:M.Lock()|};
                var c = x > 0 ? Count : {|#1:throw new ArgumentException("x")|};
                M.Unlock();
                return c;
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock 'M' acquired here is still held where 'Get' exits (line 9)"));
}
