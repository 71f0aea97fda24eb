using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// The runtime checker: lockdep, <c>might_sleep()</c> debugging and the hooks of <c>CONFIG_DMA_API_DEBUG</c>, in one
/// place. It is the ground truth the static analyzers are measured against. Like lockdep it reports and goes on
/// (violations are collected in <see cref="Violations"/>); it throws only where going on would deadlock the simulation.
/// State is per thread (a thread is a CPU running one task) except the lock-class graph and the violation list.
/// </summary>
public static partial class RuntimeCheck
{
    private static readonly ConcurrentQueue<RuntimeViolation> s_violations = new();
    private static readonly ConcurrentDictionary<int, CpuContext> s_cpus = new();
    private static long s_epoch;

    [ThreadStatic]
    private static CpuContext? t_cpu;

    /// <summary>Record the acquire site of every lock (a stack walk per acquisition); on by default.</summary>
    public static bool RecordSites { get; set; } = true;

    /// <summary>Every violation recorded since the last <see cref="Reset"/>, oldest first.</summary>
    public static IReadOnlyList<RuntimeViolation> Violations => s_violations.ToArray();

    internal static CpuContext Cpu
    {
        get
        {
            var cpu = t_cpu;
            var epoch = Volatile.Read(ref s_epoch);
            if (cpu is null || cpu.Epoch != epoch)
            {
                cpu = new CpuContext(Environment.CurrentManagedThreadId, epoch);
                t_cpu = cpu;
                s_cpus[cpu.ThreadId] = cpu;
            }

            return cpu;
        }
    }

    internal static IEnumerable<CpuContext> AllCpus => s_cpus.Values;

    /// <summary>Forgets every violation, the lock-class graph and every thread's context state.</summary>
    public static void Reset()
    {
        Interlocked.Increment(ref s_epoch);
        s_cpus.Clear();
        while (s_violations.TryDequeue(out _))
        {
        }

        ResetLockDep();
    }

    /// <summary>Throws a <see cref="RuntimeCheckException"/> listing every violation, and any lock or depth the calling thread still holds.</summary>
    public static void AssertClean() => Assert(checkContext: true);

    /// <summary>Throws a <see cref="RuntimeCheckException"/> listing every violation; the calling thread may be inside a critical section.</summary>
    public static void AssertNoViolations() => Assert(checkContext: false);

    private static void Assert(bool checkContext)
    {
        var problems = Violations.Select(v => v.ToString()).ToList();
        var cpu = Cpu;
        if (checkContext && (cpu.Held.Count != 0 || cpu.PreemptCount != 0 || cpu.IrqOffDepth != 0 || cpu.RcuNesting != 0 || cpu.MaskedGfp != Gfp.None))
        {
            problems.Add($"thread {cpu.ThreadId} is not back in a clean context: preempt count {cpu.PreemptCount}, IRQ-off depth {cpu.IrqOffDepth}, RCU nesting {cpu.RcuNesting}, masked gfp {cpu.MaskedGfp}, {cpu.DescribeHeld()}");
        }

        if (problems.Count != 0)
        {
            throw new RuntimeCheckException($"{problems.Count} runtime violation(s):{Environment.NewLine}" + string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>Records a violation. Used by the core and by drivers' own debug checks (<c>WARN_ON</c>).</summary>
    public static RuntimeViolation Report(RuntimeViolationKind kind, string message, string? lockClass = null)
    {
        var violation = new RuntimeViolation(kind, message, lockClass, CallSite(), Environment.CurrentManagedThreadId);
        s_violations.Enqueue(violation);
        return violation;
    }

    /// <summary>Number of recorded violations of one kind.</summary>
    public static int Count(RuntimeViolationKind kind) => Violations.Count(v => v.Kind == kind);

    // ----- execution context (preempt count, IRQs) -----

    /// <summary>The preempt count of the calling thread (spinlocks held, <c>preempt_disable</c>, RCU readers, hardirq).</summary>
    public static int PreemptCount => Cpu.PreemptCount;

    /// <summary>The IRQ-off depth of the calling thread.</summary>
    public static int IrqOffDepth => Cpu.IrqOffDepth;

    /// <summary><c>irqs_disabled()</c>.</summary>
    public static bool IrqsDisabled => Cpu.IrqOffDepth > 0;

    /// <summary><c>in_hardirq()</c>.</summary>
    public static bool InHardIrq => Cpu.HardIrqDepth > 0;

    /// <summary>Whether sleeping is forbidden here: preempt count raised, IRQs off, or a spinning lock held.</summary>
    public static bool InAtomic
    {
        get
        {
            var cpu = Cpu;
            return cpu.PreemptCount > 0 || cpu.IrqOffDepth > 0 || cpu.HardIrqDepth > 0 || cpu.HoldsSpinning();
        }
    }

    /// <summary>Whether the calling thread runs memory reclaim (<c>current->flags &amp; PF_MEMALLOC</c>).</summary>
    public static bool InReclaim => Cpu.ReclaimDepth > 0;

    /// <summary>The lock classes the calling thread holds, outermost first.</summary>
    public static IReadOnlyList<string> HeldLockClasses => Cpu.Held.Select(h => h.Class).ToArray();

    /// <summary>Whether the calling thread holds <paramref name="lockObject"/>.</summary>
    public static bool IsHeldByCurrent(object lockObject) => Cpu.Held.Any(h => ReferenceEquals(h.Lock, lockObject));

    /// <summary>The <c>might_sleep()</c> check.</summary>
    public static void MightSleep(string? what = null)
    {
        var cpu = Cpu;
        if (cpu.PreemptCount > 0 || cpu.IrqOffDepth > 0 || cpu.HardIrqDepth > 0 || cpu.HoldsSpinning())
        {
            Report(
                RuntimeViolationKind.SleepInAtomic,
                $"BUG: sleeping function called from invalid context{(what is null ? string.Empty : " (" + what + ")")}: in_atomic(): {cpu.PreemptCount}, irqs_disabled(): {(cpu.IrqOffDepth > 0 ? 1 : 0)}, in_hardirq(): {cpu.HardIrqDepth}, {cpu.DescribeHeld()}",
                cpu.Held.LastOrDefault(h => h.Kind == LockKind.Spinning)?.Class);
        }
    }

    /// <summary><c>might_sleep_if(cond)</c>.</summary>
    public static void MightSleepIf(bool condition, string? what = null)
    {
        if (condition)
        {
            MightSleep(what);
        }
    }

    internal static void PreemptDisable() => Cpu.PreemptCount++;

    internal static void PreemptEnable(string what)
    {
        var cpu = Cpu;
        if (cpu.PreemptCount == 0)
        {
            Report(RuntimeViolationKind.UnbalancedContext, $"{what}: preempt count underflow");
            return;
        }

        cpu.PreemptCount--;
    }

    internal static void IrqDisable() => Cpu.IrqOffDepth++;

    internal static void IrqEnable(string what)
    {
        var cpu = Cpu;
        if (cpu.IrqOffDepth == 0)
        {
            Report(RuntimeViolationKind.UnbalancedContext, $"{what}: IRQs enabled while already enabled");
            return;
        }

        cpu.IrqOffDepth--;
        if (cpu.IrqOffDepth == 0)
        {
            DeliverPendingIrqs(cpu);
        }
    }

    /// <summary>Runs <paramref name="handler"/> as a hardirq on the calling thread, now if IRQs are enabled, else when they are re-enabled.</summary>
    internal static void RaiseIrq(Action handler)
    {
        var cpu = Cpu;
        cpu.PendingIrqs.Enqueue(handler);
        if (cpu.IrqOffDepth == 0)
        {
            DeliverPendingIrqs(cpu);
        }
    }

    private static void DeliverPendingIrqs(CpuContext cpu)
    {
        if (cpu.DeliveringIrqs)
        {
            return;
        }

        cpu.DeliveringIrqs = true;
        try
        {
            while (cpu.IrqOffDepth == 0 && cpu.PendingIrqs.TryDequeue(out var handler))
            {
                var entry = Snapshot();
                cpu.IrqOffDepth++;
                cpu.PreemptCount++;
                cpu.HardIrqDepth++;
                try
                {
                    handler();
                }
                finally
                {
                    cpu.HardIrqDepth--;
                    cpu.PreemptCount--;
                    cpu.IrqOffDepth--;
                    CheckRestored(entry, "IRQ handler");
                }
            }
        }
        finally
        {
            cpu.DeliveringIrqs = false;
        }
    }

    internal static void RcuReadLock()
    {
        var cpu = Cpu;
        cpu.RcuNesting++;
        cpu.PreemptCount++;
    }

    internal static void RcuReadUnlock()
    {
        var cpu = Cpu;
        if (cpu.RcuNesting == 0)
        {
            Report(RuntimeViolationKind.UnbalancedContext, "rcu_read_unlock() without rcu_read_lock()");
            return;
        }

        cpu.RcuNesting--;
        cpu.PreemptCount--;
        if (cpu.RcuNesting == 0)
        {
            Interlocked.Increment(ref cpu.RcuGeneration);
        }
    }

    /// <summary>The calling thread's depths and held-lock count, to compare with after running a callback.</summary>
    public static ContextSnapshot Snapshot()
    {
        var cpu = Cpu;
        return new ContextSnapshot(cpu.PreemptCount, cpu.IrqOffDepth, cpu.Held.Count);
    }

    /// <summary>
    /// Reports (<c>"BUG: workqueue leaked lock or preempt count"</c>) if a callback returned with a different context than
    /// <paramref name="entry"/>, and puts the thread back in that context so the next callback starts clean.
    /// </summary>
    public static bool CheckRestored(ContextSnapshot entry, string what)
    {
        var cpu = Cpu;
        if (cpu.PreemptCount == entry.PreemptCount && cpu.IrqOffDepth == entry.IrqOffDepth && cpu.Held.Count == entry.HeldCount)
        {
            return true;
        }

        Report(
            RuntimeViolationKind.LeakedLockOrAtomic,
            $"BUG: {what} leaked lock or atomic: preempt count {entry.PreemptCount} -> {cpu.PreemptCount}, IRQ-off depth {entry.IrqOffDepth} -> {cpu.IrqOffDepth}, {cpu.DescribeHeld()}",
            cpu.Held.Count > entry.HeldCount ? cpu.Held[^1].Class : null);
        cpu.PreemptCount = entry.PreemptCount;
        cpu.IrqOffDepth = entry.IrqOffDepth;
        if (cpu.Held.Count > entry.HeldCount)
        {
            cpu.Held.RemoveRange(entry.HeldCount, cpu.Held.Count - entry.HeldCount);
        }

        return false;
    }

    // ----- allocation and reclaim -----

    /// <summary>
    /// The allocator's entry check: applies the open memalloc scopes to <paramref name="requested"/>, does
    /// <c>might_sleep_if(gfpflags_allow_blocking(gfp))</c> and the <c>fs_reclaim</c> might-lock, and reports an allocation
    /// that may recurse into reclaim from inside reclaim. Returns the effective flags.
    /// </summary>
    public static Gfp AllocationCheck(Gfp requested, string what)
    {
        var cpu = Cpu;
        var effective = requested & ~cpu.MaskedGfp;
        MightSleepIf(GfpFlags.AllowBlocking(effective), what);
        if (GfpFlags.MayEnterReclaim(effective))
        {
            if (cpu.ReclaimDepth > 0)
            {
                Report(RuntimeViolationKind.AllocationInReclaim, $"{what} with {effective} from inside memory reclaim: the allocation may recurse into reclaim", FsReclaimClass);
            }
            else
            {
                // fs_reclaim_acquire(gfp); fs_reclaim_release(gfp): the lockdep map records "held locks -> fs_reclaim".
                LockAcquire(s_fsReclaimMap, FsReclaimClass, LockKind.Sleeping, shared: false, trylock: false);
                LockRelease(s_fsReclaimMap);
            }
        }

        return effective;
    }

    /// <summary>The mask the open memalloc scopes of the calling thread apply.</summary>
    public static Gfp MaskedAllocationFlags => Cpu.MaskedGfp;

    internal static Gfp SetMaskedGfp(Gfp mask)
    {
        var cpu = Cpu;
        var old = cpu.MaskedGfp;
        cpu.MaskedGfp = mask;
        return old;
    }

    /// <summary>Enters reclaim on the calling thread: sets <c>PF_MEMALLOC</c> and holds the <c>fs_reclaim</c> map.</summary>
    internal static void EnterReclaim()
    {
        var cpu = Cpu;
        cpu.ReclaimDepth++;
        LockAcquire(s_fsReclaimMap, FsReclaimClass, LockKind.Sleeping, shared: false, trylock: false);
    }

    internal static void ExitReclaim()
    {
        var cpu = Cpu;
        LockRelease(s_fsReclaimMap);
        cpu.ReclaimDepth--;
    }

    // ----- sites -----

    /// <summary>The first caller outside the kernel core (the driver code that made the call), as <c>Type.Method</c>.</summary>
    internal static string? CallSite()
    {
        if (!RecordSites)
        {
            return null;
        }

        var frames = new StackTrace(1, false).GetFrames();
        string? fallback = null;
        foreach (var frame in frames)
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            if (type is null)
            {
                continue;
            }

            var name = (type.DeclaringType ?? type).Name + "." + method!.Name;
            fallback ??= name;
            var ns = type.Namespace ?? string.Empty;
            if (!ns.StartsWith("DriverSafety.SampleDriver.Kernel", StringComparison.Ordinal)
                && !ns.StartsWith("DriverSafety.SampleDriver.Dma", StringComparison.Ordinal)
                && !ns.StartsWith("System", StringComparison.Ordinal))
            {
                return name;
            }
        }

        return fallback;
    }
}
