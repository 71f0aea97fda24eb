using System.Collections.Concurrent;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// The slab and vmalloc allocators. Every allocation goes through <see cref="RuntimeCheck.AllocationCheck"/>: the open
/// memalloc scopes are applied to the flags, a sleeping allocation does <c>might_sleep()</c>, and one that may recurse
/// into reclaim records the <c>fs_reclaim</c> dependency. Live allocations are tracked so a double free is reported.
/// </summary>
public static class Slab
{
    private static readonly ConcurrentDictionary<byte[], int> s_live = new(ReferenceEqualityComparer.Instance);
    private static readonly ConcurrentDictionary<byte[], int> s_vlive = new(ReferenceEqualityComparer.Instance);

    /// <summary>Number of kmalloc allocations not yet freed.</summary>
    public static int LiveAllocations => s_live.Count;

    /// <summary>Number of vmalloc allocations not yet freed.</summary>
    public static int LiveVmallocs => s_vlive.Count;

    /// <summary><c>kmalloc</c>.</summary>
    [Allocates("gfp")]
    public static byte[] Kmalloc(int size, Gfp gfp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        RuntimeCheck.AllocationCheck(gfp, "kmalloc");
        var p = new byte[size];
        s_live[p] = size;
        return p;
    }

    /// <summary><c>kzalloc</c>: zeroed memory.</summary>
    [Allocates("gfp")]
    public static byte[] Kzalloc(int size, Gfp gfp) => Kmalloc(size, gfp | Gfp.Zero);

    /// <summary><c>kcalloc</c>: an array of <paramref name="n"/> elements of <paramref name="size"/> bytes, zeroed.</summary>
    [Allocates("gfp")]
    public static byte[] Kcalloc(int n, int size, Gfp gfp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return Kmalloc(checked(n * size), gfp | Gfp.Zero);
    }

    /// <summary><c>kfree</c>: null is allowed; freeing what kmalloc did not return (or twice) is reported.</summary>
    public static void Kfree(byte[]? p)
    {
        if (p is null)
        {
            return;
        }

        if (!s_live.TryRemove(p, out _))
        {
            RuntimeCheck.Report(RuntimeViolationKind.BadFree, $"kfree of {p.Length} bytes that are not a live kmalloc allocation (double free?)");
        }
    }

    /// <summary><c>vmalloc</c>: always a sleeping allocation (it allocates page tables with GFP_KERNEL).</summary>
    [MightSleep]
    public static byte[] Vmalloc(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        RuntimeCheck.MightSleep("vmalloc");
        RuntimeCheck.AllocationCheck(Gfp.Kernel, "vmalloc");
        var p = new byte[size];
        s_vlive[p] = size;
        return p;
    }

    /// <summary><c>vfree</c>.</summary>
    public static void Vfree(byte[]? p)
    {
        if (p is null)
        {
            return;
        }

        if (!s_vlive.TryRemove(p, out _))
        {
            RuntimeCheck.Report(RuntimeViolationKind.BadFree, $"vfree of {p.Length} bytes that are not a live vmalloc allocation (double free?)");
        }
    }
}

/// <summary>
/// The per-task memalloc scopes (<c>memalloc_nofs_save</c> and friends): until the matching restore, every allocation of
/// the task behaves as if the masked flags were cleared. They nest: each save returns the previous mask.
/// </summary>
public static class MemAlloc
{
    /// <summary><c>memalloc_nofs_save</c>: no filesystem reclaim (clears <see cref="Gfp.Fs"/>).</summary>
    [MasksAllocationFlags("Fs")]
    public static uint NoFsSave() => (uint)RuntimeCheck.SetMaskedGfp(RuntimeCheck.MaskedAllocationFlags | Gfp.Fs);

    /// <summary><c>memalloc_nofs_restore</c>.</summary>
    [UnmasksAllocationFlags]
    public static void NoFsRestore(uint flags) => RuntimeCheck.SetMaskedGfp((Gfp)flags);

    /// <summary><c>memalloc_noio_save</c>: no IO and no filesystem reclaim (clears <see cref="Gfp.Io"/> and <see cref="Gfp.Fs"/>).</summary>
    [MasksAllocationFlags("Io|Fs")]
    public static uint NoIoSave() => (uint)RuntimeCheck.SetMaskedGfp(RuntimeCheck.MaskedAllocationFlags | Gfp.Io | Gfp.Fs);

    /// <summary><c>memalloc_noio_restore</c>.</summary>
    [UnmasksAllocationFlags]
    public static void NoIoRestore(uint flags) => RuntimeCheck.SetMaskedGfp((Gfp)flags);

    /// <summary><c>memalloc_noreclaim_save</c>: no direct reclaim at all (clears <see cref="Gfp.DirectReclaim"/>), so nothing sleeps.</summary>
    [MasksAllocationFlags("DirectReclaim")]
    public static uint NoReclaimSave() => (uint)RuntimeCheck.SetMaskedGfp(RuntimeCheck.MaskedAllocationFlags | Gfp.DirectReclaim);

    /// <summary><c>memalloc_noreclaim_restore</c>.</summary>
    [UnmasksAllocationFlags]
    public static void NoReclaimRestore(uint flags) => RuntimeCheck.SetMaskedGfp((Gfp)flags);

    /// <summary><c>current_gfp_context</c>: the flags an allocation with <paramref name="gfp"/> really gets here.</summary>
    public static Gfp CurrentGfp(Gfp gfp) => gfp & ~RuntimeCheck.MaskedAllocationFlags;
}
