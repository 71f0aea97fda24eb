using System.Threading;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>struct page</c>: the head of a block of 2^<see cref="Order"/> physically contiguous pages. It is reference
/// counted (<c>get_page</c>/<c>put_page</c>) and returns to the allocator when the count drops to zero; a pin
/// (<c>FOLL_PIN</c>) also holds a reference and keeps reclaim away from it.
/// </summary>
public sealed class Page
{
    /// <summary><c>PAGE_SHIFT</c>.</summary>
    public const int Shift = 12;

    /// <summary><c>PAGE_SIZE</c>.</summary>
    public const int Size = 1 << Shift;

    private int _refCount = 1;
    private int _pinCount;

    internal Page(ulong pfn, int order)
    {
        Pfn = pfn;
        Order = order;
        Data = new byte[Size << order];
    }

    /// <summary>The page frame number.</summary>
    public ulong Pfn { get; }

    /// <summary>The allocation order.</summary>
    public int Order { get; }

    /// <summary>The memory of the block.</summary>
    public byte[] Data { get; }

    /// <summary><c>page_to_phys</c>.</summary>
    public ulong PhysAddr => Pfn << Shift;

    /// <summary><c>page_count</c>.</summary>
    public int RefCount => Volatile.Read(ref _refCount);

    /// <summary>Number of <c>FOLL_PIN</c> pins.</summary>
    public int PinCount => Volatile.Read(ref _pinCount);

    /// <summary><c>page_maybe_dma_pinned</c>.</summary>
    public bool MaybeDmaPinned => PinCount > 0;

    /// <summary><c>PageDirty</c>.</summary>
    public bool Dirty { get; set; }

    /// <summary>Whether the page went back to the allocator.</summary>
    public bool IsFree => RefCount <= 0;

    /// <summary><c>get_page</c>.</summary>
    public void Get()
    {
        if (Interlocked.Increment(ref _refCount) <= 1)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"get_page on free page pfn {Pfn}");
        }
    }

    /// <summary><c>put_page</c>: the last reference frees the block.</summary>
    public void Put()
    {
        var count = Interlocked.Decrement(ref _refCount);
        if (count == 0)
        {
            PageAlloc.Release(this);
        }
        else if (count < 0)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"put_page on free page pfn {Pfn} (refcount {count})");
        }
    }

    internal void Pin()
    {
        Interlocked.Increment(ref _pinCount);
        Get();
    }

    internal void Unpin()
    {
        if (Interlocked.Decrement(ref _pinCount) < 0)
        {
            Interlocked.Increment(ref _pinCount);
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"unpin_user_page on page pfn {Pfn} that is not pinned");
            return;
        }

        Put();
    }

    /// <inheritdoc />
    public override string ToString() => $"page pfn {Pfn} order {Order}";
}

/// <summary>
/// The buddy allocator over a finite number of pages. When a sleeping allocation finds too few free pages it runs direct
/// reclaim (<see cref="Reclaim"/>: shrinkers and MMU-notifier unmapping) and retries once; a non-sleeping one fails.
/// </summary>
public static class PageAlloc
{
    private const int DefaultTotalPages = 1 << 16;
    private static long s_nextPfn = 0x1000;
    private static int s_totalPages = DefaultTotalPages;
    private static int s_freePages = DefaultTotalPages;

    /// <summary>Total simulated memory, in pages.</summary>
    public static int TotalPages => Volatile.Read(ref s_totalPages);

    /// <summary>Pages currently free.</summary>
    public static int FreePageCount => Volatile.Read(ref s_freePages);

    /// <summary>Sets the simulated memory size; the pages currently allocated stay allocated.</summary>
    public static void SetTotalPages(int pages)
    {
        var used = TotalPages - FreePageCount;
        Volatile.Write(ref s_totalPages, pages);
        Volatile.Write(ref s_freePages, pages - used);
    }

    /// <summary>Back to the default memory size.</summary>
    public static void ResetTotalPages() => SetTotalPages(DefaultTotalPages);

    /// <summary><c>alloc_pages</c>: a block of 2^<paramref name="order"/> pages, or null.</summary>
    [Allocates("gfp")]
    public static Page? AllocPages(Gfp gfp, int order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        var effective = RuntimeCheck.AllocationCheck(gfp, "alloc_pages");
        var count = 1 << order;
        if (!TryTake(count))
        {
            if ((gfp & Gfp.DirectReclaim) == 0 || !GfpFlags.AllowBlocking(effective) || RuntimeCheck.InReclaim)
            {
                return null;
            }

            Reclaim.DirectReclaim(effective, count - FreePageCount);
            if (!TryTake(count))
            {
                return null;
            }
        }

        var pfn = (ulong)Interlocked.Add(ref s_nextPfn, count) - (ulong)count;
        return new Page(pfn, order);
    }

    /// <summary><c>alloc_page</c>.</summary>
    [Allocates("gfp")]
    public static Page? AllocPage(Gfp gfp) => AllocPages(gfp, 0);

    /// <summary><c>__free_pages</c>: drops the allocation's reference; the order must be the one it was allocated with.</summary>
    public static void FreePages(Page page, int order)
    {
        if (order != page.Order)
        {
            RuntimeCheck.Report(RuntimeViolationKind.BadFree, $"__free_pages of pfn {page.Pfn} with order {order}, allocated with order {page.Order}");
        }

        if (page.IsFree)
        {
            RuntimeCheck.Report(RuntimeViolationKind.BadFree, $"__free_pages of pfn {page.Pfn} that is already free (double free)");
            return;
        }

        page.Put();
    }

    /// <summary><c>get_order</c>: the smallest order whose block holds <paramref name="size"/> bytes.</summary>
    public static int GetOrder(long size)
    {
        var order = 0;
        while ((long)Page.Size << order < size)
        {
            order++;
        }

        return order;
    }

    internal static void Release(Page page) => Interlocked.Add(ref s_freePages, 1 << page.Order);

    private static bool TryTake(int count)
    {
        while (true)
        {
            var free = Volatile.Read(ref s_freePages);
            if (free < count)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref s_freePages, free - count, free) == free)
            {
                return true;
            }
        }
    }
}
