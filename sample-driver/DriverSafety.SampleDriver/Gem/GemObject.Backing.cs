using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.DmaBuf;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>The object's backing: pages taken and put (DMA-mapped exactly once, seed 000), pins, madvise, purge and eviction.</summary>
public partial class GemObject
{
    /// <summary>
    /// <c>drm_gem_shmem_get_pages</c> (locked): takes a reference on the pages, allocating them and creating their one
    /// DMA mapping with the first reference.
    /// </summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Begins("pages", Counted = true, When = ReturnIs.Zero)]
    public int GetPagesLocked()
    {
        Resv.AssertHeld();
        if (_madv == GemMadvise.Purged)
        {
            return -Errno.EFAULT;
        }

        if (_pagesUseCount > 0)
        {
            _pagesUseCount++;
            return 0;
        }

        var ret = AcquireBackingLocked();
        if (ret != 0)
        {
            return ret;
        }

        _pagesUseCount = 1;
        return 0;
    }

    /// <summary><c>drm_gem_shmem_put_pages</c> (locked): the last reference unmaps and frees the pages.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Ends("pages")]
    public void PutPagesLocked()
    {
        Resv.AssertHeld();
        if (_pagesUseCount <= 0)
        {
            Dev.Warn($"put_pages on object {Name} without pages");
            return;
        }

        if (--_pagesUseCount == 0)
        {
            ReleaseBackingLocked();
        }
    }

    /// <summary><c>drm_gem_shmem_pin_locked</c>: the pages stay resident (and mapped) until the matching unpin.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Begins("pinned", Counted = true, When = ReturnIs.Zero)]
    public int PinLocked()
    {
        var ret = GetPagesLocked();
        if (ret != 0)
        {
            return ret;
        }

        _pinCount++;
        Dev.Lru.Remove(this);
        return 0;
    }

    /// <summary><c>drm_gem_shmem_unpin_locked</c>.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Ends("pinned")]
    public void UnpinLocked()
    {
        if (_pinCount <= 0)
        {
            Dev.Warn($"unpin of object {Name} that is not pinned");
            return;
        }

        _pinCount--;
        PutPagesLocked();
        UpdateLruLocked();
    }

    /// <summary><c>drm_gem_shmem_pin</c>: takes the reservation lock itself.</summary>
    [MightSleep]
    [Excludes("Resv")]
    [RequiresNotState("imported")]
    [Begins("pinned", Counted = true, When = ReturnIs.Zero)]
    public int Pin()
    {
        var ret = Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = PinLocked();
        Resv.Unlock();
        return ret;
    }

    /// <summary><c>drm_gem_shmem_unpin</c>.</summary>
    [MightSleep]
    [Excludes("Resv")]
    [RequiresNotState("imported")]
    [Ends("pinned")]
    public void Unpin()
    {
        using var guard = Resv.LockScoped();
        UnpinLocked();
    }

    /// <summary>
    /// <c>drm_gem_shmem_madvise_locked</c>: marks the contents as (not) needed. Returns false once the object was
    /// purged.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    public bool MadviseLocked(GemMadvise madv)
    {
        if (_madv != GemMadvise.Purged && madv != GemMadvise.Purged)
        {
            _madv = madv;
        }

        UpdateLruLocked();
        return _madv != GemMadvise.Purged;
    }

    /// <summary>
    /// <c>drm_gem_shmem_is_purgeable</c>: not needed, not pinned, not mapped by the kernel or the CPU, not shared.
    /// </summary>
    [Requires("Resv")]
    public bool IsPurgeableLocked =>
        _madv == GemMadvise.DontNeed && _pinCount == 0 && _vmapUseCount == 0 && _mmapCount == 0 &&
        _pages is not null && ImportAttach is null && !IsExportedLocked;

    /// <summary>Whether the object is exported as a dma-buf (set and cleared under the reservation lock).</summary>
    [GuardedBy("Resv")]
    public bool IsExportedLocked { get; internal set; }

    /// <summary>
    /// <c>drm_gem_shmem_purge_locked</c>, called by the shrinker with the reservation try-locked: unbinds the object
    /// from every address space and discards its pages. Takes no sleeping lock the shrinker could not take and
    /// allocates nothing.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    public bool PurgeLocked()
    {
        Resv.AssertHeld();
        if (!IsPurgeableLocked)
        {
            return false;
        }

        UnbindAllLocked();
        if (_pagesUseCount != 0)
        {
            // Something other than bindings still uses the pages: leave the object alone.
            return false;
        }

        // The pages went with the last binding; if nothing was bound they are only cached here.
        ReleaseBackingLocked();
        _swapped = null;
        _madv = GemMadvise.Purged;
        Dev.Lru.Remove(this);
        return true;
    }

    /// <summary>
    /// Evicts a native object (TTM's move to system, shmem's swap-out): unbinds it everywhere, tells dynamic importers
    /// to drop their mappings (under this reservation, seed 002), saves the contents and releases the pages. Returns
    /// -EBUSY while something pins or maps the pages.
    /// </summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    public int EvictLocked(DmaBuf.DmaBuf? exported)
    {
        Resv.AssertHeld();
        if (_pinCount != 0 || _vmapUseCount != 0 || _mmapCount != 0)
        {
            return -Errno.EBUSY;
        }

        if (exported is not null)
        {
            exported.Resv.AssertHeld();
            exported.MoveNotify();
        }

        UnbindAllLocked();
        if (_pagesUseCount != 0)
        {
            return -Errno.EBUSY;
        }

        if (_pages is not null)
        {
            ReleaseBackingLocked();
        }

        return 0;
    }

    /// <summary>Reads the contents through the backing pages (the test's view of memory); the pages must be present.</summary>
    [Requires("Resv")]
    public void ReadBackingLocked(long offset, Span<byte> destination)
    {
        if (_pages is null)
        {
            throw new InvalidOperationException($"object {Name} has no pages");
        }

        new GemVmap(_pages, Size).Read(offset, destination);
    }

    /// <summary>
    /// Allocates the backing pages of a native object. The shmem helpers allocate from the object's shmem file with
    /// GFP_KERNEL-like flags; a userptr object overrides this to hand over user pages pinned earlier.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    protected virtual int AllocBackingPagesLocked(out Page[]? pages)
    {
        pages = new Page[NumPages];
        for (var i = 0; i < pages.Length; i++)
        {
            var page = PageAlloc.AllocPage(Gfp.Kernel);
            if (page is null)
            {
                for (var j = 0; j < i; j++)
                {
                    PageAlloc.FreePages(pages[j], 0);
                }

                pages = null;
                return -Errno.ENOMEM;
            }

            pages[i] = page;
        }

        if (_swapped is { } saved)
        {
            for (var i = 0; i < pages.Length; i++)
            {
                saved.AsSpan(i * Page.Size, Page.Size).CopyTo(pages[i].Data);
            }

            _swapped = null;
        }

        return 0;
    }

    /// <summary>Gives back the backing pages (frees shmem pages; a userptr object unpins its user pages).</summary>
    [Requires("Resv")]
    protected virtual void ReleaseBackingPagesLocked(Page[] pages)
    {
        // The pages go back to the shmem file: their contents stay there until the object is purged.
        var saved = new byte[Size];
        for (var i = 0; i < pages.Length; i++)
        {
            pages[i].Data.AsSpan(0, Page.Size).CopyTo(saved.AsSpan(i * Page.Size, Page.Size));
        }

        _swapped = saved;
        foreach (var page in pages)
        {
            PageAlloc.FreePages(page, 0);
        }
    }

    [Requires("Resv")]
    [MightSleep]
    private int AcquireBackingLocked()
    {
        var ret = AllocBackingPagesLocked(out var pages);
        if (ret != 0 || pages is null)
        {
            return ret != 0 ? ret : -Errno.ENOMEM;
        }

        var sgt = SgTable.FromPages(pages, pages.Length, 0, Size, Gfp.Kernel);
        if (sgt is null)
        {
            ReleaseBackingPagesLocked(pages);
            return -Errno.ENOMEM;
        }

        ret = DmaApi.MapSgtable(Dev.DmaDev, sgt, Dir);
        if (ret != 0)
        {
            sgt.Free();
            ReleaseBackingPagesLocked(pages);
            return ret;
        }

        _pages = pages;
        Sgt = sgt;
        _dmaMapped = true;
        return 0;
    }

    /// <summary>Unmaps (once) and frees the backing: the inverse of <see cref="AcquireBackingLocked"/>.</summary>
    [Requires("Resv")]
    [MightSleep]
    private void ReleaseBackingLocked()
    {
        if (Sgt is not null)
        {
            if (HasDmaMapping)
            {
                DmaApi.UnmapSgtable(Dev.DmaDev, Sgt, Dir);
                _dmaMapped = false;
            }

            Sgt.Free();
            Sgt = null;
        }

        if (_pages is { } pages)
        {
            _pages = null;
            ReleaseBackingPagesLocked(pages);
        }

        _pagesUseCount = 0;
    }
}
