namespace DriverSafety.SampleDriver.Kernel;

/// <summary>What the runtime checker (lockdep, <c>might_sleep()</c>, <c>CONFIG_DMA_API_DEBUG</c>) caught.</summary>
public enum RuntimeViolationKind
{
    /// <summary>"BUG: sleeping function called from invalid context": atomic depth raised, IRQs off, or a spinlock held.</summary>
    SleepInAtomic,
    /// <summary>Release of a lock the current thread does not hold ("bad unlock balance").</summary>
    ReleaseNotHeld,
    /// <summary>Release of a lock held by another thread.</summary>
    ReleaseByNonOwner,
    /// <summary>Acquiring a lock the current thread already holds (self-deadlock).</summary>
    RecursiveLocking,
    /// <summary>Two locks of one class held together without an acquire context or a nesting subclass.</summary>
    NestedSameClass,
    /// <summary>"possible circular locking dependency detected": a lock-class order A→B seen after B→A.</summary>
    LockOrderInversion,
    /// <summary>A spinning lock class used both in hardirq context and with IRQs enabled ("inconsistent lock state").</summary>
    IrqUnsafeLock,
    /// <summary><c>lockdep_assert_held</c> failed.</summary>
    LockNotHeld,
    /// <summary>A work item, IRQ handler or task returned with a lock held or an atomic/IRQ depth changed.</summary>
    LeakedLockOrAtomic,
    /// <summary>A depth lowered below zero (preempt count underflow, unbalanced <c>local_irq_restore</c>).</summary>
    UnbalancedContext,
    /// <summary>A call that needs IRQs enabled made with IRQs disabled (<c>dma_free_coherent</c>).</summary>
    IrqsDisabledCall,
    /// <summary>An allocation that may recurse into reclaim made from inside reclaim (shrinker, MMU notifier).</summary>
    AllocationInReclaim,
    /// <summary>Reclaim entered for an allocation whose flags do not allow direct reclaim.</summary>
    ReclaimNotAllowed,
    /// <summary>Wound/wait acquire context misuse (lock after done, fini with locks held, class mismatch).</summary>
    WwContextMisuse,
    /// <summary>DMA-API debug: the target already has a mapping (seed 000).</summary>
    DmaDoubleMap,
    /// <summary>DMA-API debug: unmap or free of memory that is not mapped or allocated.</summary>
    DmaUnmapNotMapped,
    /// <summary>DMA-API debug: unmap or free with a different size, device, handle or direction than the map.</summary>
    DmaMismatchedFree,
    /// <summary>DMA-API debug: "device driver failed to check map error".</summary>
    DmaMappingErrorNotChecked,
    /// <summary>DMA-API debug: sync of an unmapped target or in a direction the mapping does not allow.</summary>
    DmaSyncInvalid,
    /// <summary>DMA-API debug: "device driver has pending DMA allocations while released from device".</summary>
    DmaLeak,
    /// <summary>IOMMU fault: the device accessed an IOVA that is not mapped, or wrote through a read-only mapping.</summary>
    IommuFault,
    /// <summary>Free of memory that is not allocated (double free), or with the wrong order.</summary>
    BadFree,
    /// <summary>Reference count dropped below zero.</summary>
    RefcountUnderflow,
    /// <summary>A work callback threw.</summary>
    WorkFailed,
}

/// <summary>One report of the runtime checker.</summary>
/// <param name="Kind">What was caught.</param>
/// <param name="Message">The report, in the kernel's words where it has them.</param>
/// <param name="LockClass">The lock class involved, if any.</param>
/// <param name="Site">Where it happened (the first caller outside the kernel core).</param>
/// <param name="ThreadId">The managed thread ("CPU") it happened on.</param>
public sealed record RuntimeViolation(RuntimeViolationKind Kind, string Message, string? LockClass, string? Site, int ThreadId)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"[{Kind}] {Message}" + (LockClass is null ? string.Empty : $" (lock class {LockClass})") + (Site is null ? string.Empty : $" at {Site}") + $" on thread {ThreadId}";
}

/// <summary>Thrown by <see cref="RuntimeCheck.AssertClean"/>, and where continuing after a violation would deadlock or corrupt state.</summary>
public sealed class RuntimeCheckException : Exception
{
    public RuntimeCheckException(string message)
        : base(message)
    {
    }
}
