namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// The per-thread ("per-CPU" and <c>current</c>) state the runtime checker keeps: preempt count, IRQ-off depth,
/// hardirq nesting, RCU nesting, the memalloc scope mask, the reclaim flag (<c>PF_MEMALLOC</c>) and lockdep's held-lock
/// stack. One instance per managed thread; replaced wholesale by <see cref="RuntimeCheck.Reset"/>.
/// </summary>
internal sealed class CpuContext
{
    public CpuContext(int threadId, long epoch)
    {
        ThreadId = threadId;
        Epoch = epoch;
    }

    public int ThreadId { get; }

    public long Epoch { get; }

    public int PreemptCount;

    public int IrqOffDepth;

    public int HardIrqDepth;

    public int RcuNesting;

    public long RcuGeneration;

    /// <summary>Flags cleared from every allocation by the open memalloc scopes (<c>current->flags</c> PF_MEMALLOC_NOFS/NOIO).</summary>
    public Gfp MaskedGfp;

    /// <summary>Non-zero while this thread runs reclaim (<c>PF_MEMALLOC</c>).</summary>
    public int ReclaimDepth;

    public bool DeliveringIrqs;

    public readonly List<HeldLock> Held = new();

    public readonly Queue<Action> PendingIrqs = new();

    public bool HoldsSpinning()
    {
        foreach (var h in Held)
        {
            if (h.Kind == LockKind.Spinning)
            {
                return true;
            }
        }

        return false;
    }

    public string DescribeHeld()
    {
        if (Held.Count == 0)
        {
            return "no locks held";
        }

        return string.Join(", ", Held.Select(h => h.Class + (h.Shared ? " (read)" : string.Empty) + (h.Site is null ? string.Empty : " acquired at " + h.Site)));
    }
}

/// <summary>One entry of lockdep's held-lock stack.</summary>
internal sealed record HeldLock(object Lock, string Class, LockKind Kind, bool Shared, bool Trylock, object? AcquireContext, string? Site);

/// <summary>What a context (work item, IRQ handler) must give back: the depths and held-lock count at its entry.</summary>
public readonly record struct ContextSnapshot(int PreemptCount, int IrqOffDepth, int HeldCount);
