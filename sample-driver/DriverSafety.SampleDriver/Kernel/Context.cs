using System.Diagnostics;
using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// RCU read side (non-preemptible RCU: a reader is atomic context) and grace periods. <see cref="Synchronize"/> waits
/// until every reader that was inside a read-side critical section when it was called has left it.
/// </summary>
public static class Rcu
{
    /// <summary><c>rcu_read_lock</c>.</summary>
    [EntersAtomic]
    public static void ReadLock() => RuntimeCheck.RcuReadLock();

    /// <summary><c>rcu_read_unlock</c>.</summary>
    [ExitsAtomic]
    public static void ReadUnlock() => RuntimeCheck.RcuReadUnlock();

    /// <summary><c>synchronize_rcu</c>: sleeps for a grace period.</summary>
    [MightSleep]
    public static void Synchronize()
    {
        RuntimeCheck.MightSleep("synchronize_rcu");
        var me = RuntimeCheck.Cpu;
        var readers = RuntimeCheck.AllCpus
            .Where(c => c != me && Volatile.Read(ref c.RcuNesting) > 0)
            .Select(c => (Cpu: c, Generation: Interlocked.Read(ref c.RcuGeneration)))
            .ToList();
        foreach (var (cpu, generation) in readers)
        {
            while (Volatile.Read(ref cpu.RcuNesting) > 0 && Interlocked.Read(ref cpu.RcuGeneration) == generation)
            {
                Thread.Sleep(1);
            }
        }
    }
}

/// <summary><c>preempt_disable</c> / <c>preempt_enable</c>.</summary>
public static class Preempt
{
    /// <summary><c>preempt_disable</c>.</summary>
    [EntersAtomic]
    public static void Disable() => RuntimeCheck.PreemptDisable();

    /// <summary><c>preempt_enable</c>.</summary>
    [ExitsAtomic]
    public static void Enable() => RuntimeCheck.PreemptEnable("preempt_enable");
}

/// <summary>Local (this-CPU) interrupt control.</summary>
public static class Irq
{
    /// <summary><c>irqs_disabled()</c>.</summary>
    public static bool Disabled => RuntimeCheck.IrqsDisabled;

    /// <summary><c>local_irq_save</c>: disables IRQs and returns the previous state.</summary>
    [DisablesIrqs]
    public static ulong LocalSave()
    {
        var flags = RuntimeCheck.IrqsDisabled ? 1UL : 0UL;
        RuntimeCheck.IrqDisable();
        return flags;
    }

    /// <summary><c>local_irq_restore</c>: restores the state <see cref="LocalSave"/> returned; pending IRQs arrive when enabled.</summary>
    [EnablesIrqs]
    public static void LocalRestore(ulong flags)
    {
        RuntimeCheck.IrqEnable("local_irq_restore");
        if ((flags != 0) != RuntimeCheck.IrqsDisabled)
        {
            RuntimeCheck.Report(RuntimeViolationKind.UnbalancedContext, "local_irq_restore: restored IRQ state does not match the saved flags");
        }
    }
}

/// <summary>The scheduler: sleeping, yielding, busy-waiting and signals.</summary>
public static class Sched
{
    [ThreadStatic]
    private static bool t_signalPending;

    /// <summary><c>signal_pending(current)</c>.</summary>
    public static bool SignalPending => t_signalPending;

    /// <summary>Sends a signal to the calling task (interruptible sleeps return <c>-EINTR</c>).</summary>
    public static void RaiseSignal() => t_signalPending = true;

    /// <summary><c>flush_signals(current)</c>.</summary>
    public static void FlushSignals() => t_signalPending = false;

    /// <summary><c>might_sleep()</c>: the debug check alone.</summary>
    [MightSleep]
    public static void MightSleep() => RuntimeCheck.MightSleep("might_sleep");

    /// <summary><c>schedule()</c>: gives up the CPU.</summary>
    [MightSleep]
    public static void Schedule()
    {
        RuntimeCheck.MightSleep("schedule");
        Thread.Yield();
    }

    /// <summary><c>cond_resched()</c>.</summary>
    [MightSleep]
    public static void CondResched() => Schedule();

    /// <summary><c>msleep</c>.</summary>
    [MightSleep]
    public static void Msleep(int ms)
    {
        RuntimeCheck.MightSleep("msleep");
        Thread.Sleep(ms);
    }

    /// <summary><c>udelay</c>: busy-waits; allowed in atomic context.</summary>
    public static void Udelay(int us)
    {
        var until = Stopwatch.GetTimestamp() + (us * Stopwatch.Frequency / 1_000_000);
        var spin = default(SpinWait);
        while (Stopwatch.GetTimestamp() < until)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
