using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.DmaBuf;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Gem;

/// <summary><c>madvise</c> state of a shmem-backed object (<c>DRM_GEM_SHMEM_MADV</c>).</summary>
public enum GemMadvise
{
    /// <summary>The contents are needed: never purged.</summary>
    WillNeed = 0,
    /// <summary>Userspace does not need the contents: the shrinker may purge the pages.</summary>
    DontNeed = 1,
    /// <summary>The shrinker discarded the pages; the object can no longer be used.</summary>
    Purged = 2,
}

/// <summary>
/// <c>struct drm_gem_object</c> with the shmem helpers' backing (<c>struct drm_gem_shmem_object</c>): a buffer of
/// <see cref="Size"/> bytes with a reservation object, pages that are allocated on first use and DMA-mapped exactly
/// once (in <see cref="GetPagesLocked"/>, the fix of seed 000), pins, kernel mappings in the two flavours of seed
/// 003, GPU bindings and CPU mmap. An imported object (<see cref="ImportAttach"/> set) has no pages of its own: its
/// memory is the exporter's, reached through the attachment (seed 001).
/// </summary>
public class GemObject
{
    private const DmaDataDirection Dir = DmaDataDirection.Bidirectional;

    private static long s_nextName;

    private readonly bool _ownsResv;
    private int _refcount = 1;
    private int _freeing;
    private GemObject? _freeNext;

    [GuardedBy("Resv")]
    private Page[]? _pages;

    [GuardedBy("Resv")]
    private int _pagesUseCount;

    [GuardedBy("Resv")]
    private int _pinCount;

    [GuardedBy("Resv")]
    private GemVmap? _vmap;

    [GuardedBy("Resv")]
    private int _vmapUseCount;

    [GuardedBy("Resv")]
    private int _mmapCount;

    [GuardedBy("Resv")]
    private GemMadvise _madv;

    [GuardedBy("Resv")]
    private bool _dmaMapped;

    [GuardedBy("Resv")]
    private int _importUseCount;

    [GuardedBy("Resv")]
    private readonly List<GemVma> _vmas = new();

    /// <summary>The contents while the object has no pages (its shmem file); dropped by a purge.</summary>
    [GuardedBy("Resv")]
    private byte[]? _swapped;

    /// <summary>A native object with its own reservation (<c>drm_gem_object_init</c> + <c>drm_gem_shmem_create</c>).</summary>
    protected GemObject(GemDevice dev, long size)
        : this(dev, size, null, null)
    {
    }

    /// <summary>
    /// An object whose memory lives elsewhere: <paramref name="importAttach"/> is the attachment to the exporter's
    /// dma-buf, and the object shares the dma-buf's reservation (<c>obj->resv = dma_buf->resv</c>).
    /// </summary>
    protected GemObject(GemDevice dev, long size, DmaResv? sharedResv, DmaBufAttachment? importAttach)
    {
        if (size <= 0 || (size & (Page.Size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "GEM objects are a positive whole number of pages");
        }

        Dev = dev;
        Size = size;
        Name = Interlocked.Increment(ref s_nextName);
        _ownsResv = sharedResv is null;
        Resv = sharedResv ?? new DmaResv("gem");
        ImportAttach = importAttach;
        LruNode = new LinkedListNode<GemObject>(this);
        dev.ObjectCreated();
    }

    /// <summary>The device the object belongs to.</summary>
    public GemDevice Dev { get; }

    /// <summary>Size in bytes, a whole number of pages.</summary>
    public long Size { get; }

    /// <summary>Number of pages.</summary>
    public int NumPages => (int)(Size >> Page.Shift);

    /// <summary>A global name for reports (the flink name in spirit).</summary>
    public long Name { get; }

    /// <summary>
    /// <c>obj->resv</c>: the reservation object that protects the backing storage. Page faults arrive with
    /// <c>mmap_lock</c> held and then take it, so it nests inside <c>mmap_lock</c> (seed 002); GPU address-space locks and
    /// the LRU lock nest inside it.
    /// </summary>
    [AcquiredAfter("MmStruct.MmapLock")]
    [AcquiredBefore("AddressSpace.Mutex", "GemLru.Lock")]
    public DmaResv Resv { get; }

    /// <summary><c>obj->import_attach</c>: set for an object imported from another driver's dma-buf.</summary>
    [StateTest("imported")]
    public DmaBufAttachment? ImportAttach { get; }

    /// <summary><c>obj->dma_buf</c>: the dma-buf this object is exported as (PRIME), cached for re-export.</summary>
    [GuardedBy("Dev.ObjectNameLock")]
    public DmaBuf.DmaBuf? ExportedDmaBuf { get; internal set; }

    /// <summary><c>obj->handle_count</c>: handles in all files that name this object.</summary>
    [GuardedBy("Dev.ObjectNameLock")]
    public int HandleCount { get; internal set; }

    /// <summary>The current reference count (for tests and reports).</summary>
    public int RefCount => Volatile.Read(ref _refcount);

    /// <summary>
    /// The object's scatter-gather table: of its own pages for a native object, of the exporter's memory as mapped for
    /// this device for an imported one. Null while the object has no backing.
    /// </summary>
    [GuardedBy("Resv")]
    public SgTable? Sgt { get; private set; }

    /// <summary>
    /// <c>obj->mm.has_dma_mapping</c>: <see cref="Sgt"/> is mapped for <see cref="Dev"/>. The mapping is created once,
    /// when the backing is acquired, never per binding (seed 000).
    /// </summary>
    [GuardedBy("Resv")]
    [StateTest("dma-mapping", Target = "Sgt")]
    public bool HasDmaMapping => _dmaMapped;

    /// <summary>Whether the object currently has backing pages (or, imported, a mapped attachment).</summary>
    [GuardedBy("Resv")]
    public bool HasPages => _pages is not null || (ImportAttach is not null && Sgt is not null);

    /// <summary>Number of holders of the pages (<c>pages_use_count</c>).</summary>
    [GuardedBy("Resv")]
    public int PagesUseCount => _pagesUseCount;

    /// <summary>Number of pins (<c>pages_pin_count</c>).</summary>
    [GuardedBy("Resv")]
    public int PinCount => _pinCount;

    /// <summary>Number of kernel mappings (<c>vmap_use_count</c>).</summary>
    [GuardedBy("Resv")]
    public int VmapUseCount => _vmapUseCount;

    /// <summary>The madvise state.</summary>
    [GuardedBy("Resv")]
    public GemMadvise Madv => _madv;

    /// <summary>The GPU bindings of this object.</summary>
    [GuardedBy("Resv")]
    public IReadOnlyList<GemVma> Vmas => _vmas;

    /// <summary>The node by which the object sits on its device's LRU (<c>obj->lru_node</c>).</summary>
    internal LinkedListNode<GemObject> LruNode { get; }

    /// <summary>
    /// <c>drm_gem_shmem_create</c>: a new native object holding one reference. The pages are allocated on first use.
    /// </summary>
    [MightSleep]
    public static GemObject Create(GemDevice dev, long size)
    {
        Sched.MightSleep();
        return new GemObject(dev, size);
    }

    /// <summary><c>drm_gem_object_get</c>.</summary>
    public void Get()
    {
        if (Interlocked.Increment(ref _refcount) <= 1)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"drm_gem_object_get on freed object {Name}");
        }
    }

    /// <summary><c>kref_get_unless_zero</c>: a reference, unless the object is already being freed.</summary>
    public bool TryGet()
    {
        while (true)
        {
            var count = Volatile.Read(ref _refcount);
            if (count <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _refcount, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// <c>drm_gem_object_put</c>: drops a reference and frees the object with the last one. Freeing takes the
    /// reservation lock, so the caller must not hold it (nor any other reservation: see <see cref="PutDeferred"/>).
    /// </summary>
    [MightSleep]
    [Excludes("Resv")]
    public void Put()
    {
        if (Release())
        {
            Free();
        }
    }

    /// <summary>
    /// Drops a reference from a context that cannot free (reclaim, atomic, or with a reservation held): the last
    /// reference hands the object to the device's free worker (i915's <c>llist</c> of objects to free).
    /// </summary>
    public void PutDeferred()
    {
        if (Release())
        {
            Dev.QueueFree(this);
        }
    }

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
    /// <c>drm_gem_vmap</c> with the reservation lock held (seed 003, first flavour): the mapping is only valid while
    /// the lock stays held, because without a pin the object may move as soon as it is released. Null on failure.
    /// </summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Begins("vmap", While = "Resv", Counted = true, When = ReturnIs.NonNull)]
    public GemVmap? Vmap() => VmapCoreLocked();

    /// <summary><c>drm_gem_vunmap</c> with the reservation lock held.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Ends("vmap")]
    public void Vunmap(GemVmap map) => VunmapCoreLocked(map);

    /// <summary>
    /// <c>dma_buf_vmap</c> of a pinned buffer (seed 003, second flavour): the pin keeps the pages in place, so the
    /// mapping outlives the reservation lock, which this takes and drops itself. Null on failure.
    /// </summary>
    [MightSleep]
    [Excludes("Resv")]
    [RequiresState("pinned")]
    [RequiresNotState("imported")]
    [Begins("pinned-vmap", Counted = true, When = ReturnIs.NonNull)]
    public GemVmap? VmapPinned()
    {
        using var guard = Resv.LockScoped();
        if (_pinCount == 0)
        {
            Dev.Warn($"vmap_pinned of object {Name} that is not pinned");
            return null;
        }

        return VmapCoreLocked();
    }

    /// <summary>The unmap of <see cref="VmapPinned"/>; the pin is still held (it is dropped after this).</summary>
    [MightSleep]
    [Excludes("Resv")]
    [RequiresState("pinned")]
    [RequiresNotState("imported")]
    [Ends("pinned-vmap")]
    public void VunmapPinned(GemVmap map)
    {
        using var guard = Resv.LockScoped();
        VunmapCoreLocked(map);
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
    /// <c>drm_gem_shmem_mmap</c> for a native object: takes a page reference for the lifetime of the mapping and
    /// installs the fault handler. An imported object must be forwarded to its exporter instead (seed 001).
    /// </summary>
    [Requires("vma.Mm.MmapLock")]
    [MightSleep]
    [Excludes("Resv")]
    [RequiresNotState("imported")]
    public int MmapNative(Vma vma)
    {
        if (vma.VmPgoff != 0 && (long)vma.VmPgoff * Page.Size >= Size)
        {
            return -Errno.EINVAL;
        }

        if ((long)vma.Length > Size)
        {
            return -Errno.EINVAL;
        }

        var ret = Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = GetPagesLocked();
        if (ret == 0)
        {
            _mmapCount++;
            UpdateLruLocked();
        }

        Resv.Unlock();
        if (ret != 0)
        {
            return ret;
        }

        Get();
        vma.VmFlags |= VmFlags.DontExpand | VmFlags.DontDump;
        vma.VmPrivateData = this;
        vma.VmOps = GemVmOps.Instance;
        return 0;
    }

    /// <summary>
    /// <c>drm_gem_shmem_get_sg_table</c>: a new sg table of the object's pages for an exporter to map for an importer.
    /// Null when the object has no pages.
    /// </summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal SgTable? GetSgTableLocked() =>
        _pages is { } pages ? SgTable.FromPages(pages, pages.Length, 0, Size, Gfp.Kernel) : null;

    /// <summary>Creates the object of an import: it shares the dma-buf's reservation and holds its reference.</summary>
    internal static GemObject CreateImported(GemDevice dev, DmaBuf.DmaBuf dmabuf, DmaBufAttachment attach) =>
        new(dev, dmabuf.Size, dmabuf.Resv, attach);

    /// <summary>The fault handler's page lookup: the page backing <paramref name="pgoff"/>.</summary>
    [Requires("Resv")]
    internal Page? PageAtLocked(ulong pgoff) => _pages is { } pages && pgoff < (ulong)pages.Length ? pages[pgoff] : null;

    /// <summary>The mapping's close: drops the page reference <see cref="MmapNative"/> took.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal void MmapCloseLocked()
    {
        _mmapCount--;
        PutPagesLocked();
        UpdateLruLocked();
    }

    /// <summary>
    /// The backing a GPU binding needs: the pages (native) or the attachment's mapping (imported). Both carry the one
    /// DMA mapping of <see cref="Sgt"/>; a second binding only takes another reference.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    internal int GetBackingForBindLocked()
    {
        if (ImportAttach is not null)
        {
            return ImportGetLocked();
        }

        return GetPagesLocked();
    }

    /// <summary>Releases what <see cref="GetBackingForBindLocked"/> took.</summary>
    [Requires("Resv")]
    [MightSleep]
    internal void PutBackingForBindLocked()
    {
        if (ImportAttach is not null)
        {
            ImportPutLocked();
        }
        else
        {
            PutPagesLocked();
        }
    }

    [Requires("Resv")]
    [MightSleep]
    internal void AddVmaLocked(GemVma vma)
    {
        _vmas.Add(vma);
        UpdateLruLocked();
    }

    [Requires("Resv")]
    [MightSleep]
    internal void RemoveVmaLocked(GemVma vma)
    {
        _vmas.Remove(vma);
        UpdateLruLocked();
    }

    /// <summary>The binding of this object in <paramref name="vm"/>, if any.</summary>
    [Requires("Resv")]
    public GemVma? FindVmaLocked(AddressSpace vm)
    {
        foreach (var vma in _vmas)
        {
            if (ReferenceEquals(vma.Vm, vm))
            {
                return vma;
            }
        }

        return null;
    }

    /// <summary><c>i915_gem_object_unbind</c>: unbinds the object from every address space.</summary>
    [Requires("Resv")]
    [MightSleep]
    public void UnbindAllLocked()
    {
        while (_vmas.Count > 0)
        {
            var vma = _vmas[^1];
            vma.Vm.UnbindLocked(this, vma);
        }
    }

    /// <summary>
    /// The importer's side of <c>move_notify</c>: the exporter is moving the memory, so every binding and the
    /// attachment mapping of this imported object must go. Called with the shared reservation held.
    /// </summary>
    [Requires("Resv")]
    [RequiresState("imported")]
    [MightSleep]
    internal void InvalidateImportLocked()
    {
        UnbindAllLocked();
        if (_importUseCount != 0)
        {
            Dev.Warn($"imported object {Name} still has {_importUseCount} mapping users after move_notify");
        }
    }

    public override string ToString() => $"gem object {Name} ({Size} bytes{(ImportAttach is null ? string.Empty : ", imported")})";

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

    /// <summary>The object's release callback, after the backing is gone (<c>funcs->free</c>).</summary>
    [MightSleep]
    protected virtual void OnFree()
    {
    }

    /// <summary>Runs the free path now: the object has no reference left.</summary>
    [MightSleep]
    [Excludes("Resv")]
    internal void Free()
    {
        if (Interlocked.Exchange(ref _freeing, 1) != 0)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"object {Name} freed twice");
            return;
        }

        Dev.OnObjectFree(this);
        if (ImportAttach is { } attach)
        {
            FreeImported(attach);
        }
        else
        {
            FreeNative();
        }

        OnFree();
        if (_ownsResv)
        {
            Resv.Fini();
        }

        Dev.ObjectFreed();
    }

    /// <summary>The device's free list link (<c>obj->freed</c>).</summary>
    internal GemObject? FreeNext
    {
        get => _freeNext;
        set => _freeNext = value;
    }

    private bool Release()
    {
        var count = Interlocked.Decrement(ref _refcount);
        if (count < 0)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"drm_gem_object_put on freed object {Name} (refcount {count})");
        }

        return count == 0;
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

    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal GemVmap? VmapCoreLocked()
    {
        Resv.AssertHeld();
        if (_vmapUseCount > 0 && _vmap is not null)
        {
            _vmapUseCount++;
            return _vmap;
        }

        if (GetPagesLocked() != 0)
        {
            return null;
        }

        _vmap = new GemVmap(_pages!, Size);
        _vmapUseCount = 1;
        UpdateLruLocked();
        return _vmap;
    }

    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal void VunmapCoreLocked(GemVmap map)
    {
        Resv.AssertHeld();
        if (_vmapUseCount <= 0 || !ReferenceEquals(map, _vmap))
        {
            Dev.Warn($"vunmap of object {Name} with a mapping it did not hand out");
            return;
        }

        if (--_vmapUseCount == 0)
        {
            _vmap = null;
            PutPagesLocked();
            UpdateLruLocked();
        }
    }

    /// <summary>Maps the import attachment for this device the first time a user needs it.</summary>
    [Requires("Resv")]
    [RequiresState("imported")]
    [MightSleep]
    private int ImportGetLocked()
    {
        var attach = ImportAttach!;
        attach.DmaBuf.Resv.AssertHeld();
        if (_importUseCount > 0)
        {
            _importUseCount++;
            return 0;
        }

        var sgt = attach.DmaBuf.MapAttachment(attach, Dir);
        if (sgt is null)
        {
            return -Errno.ENOMEM;
        }

        Sgt = sgt;
        _dmaMapped = true;
        _importUseCount = 1;
        return 0;
    }

    [Requires("Resv")]
    [RequiresState("imported")]
    [MightSleep]
    private void ImportPutLocked()
    {
        var attach = ImportAttach!;
        attach.DmaBuf.Resv.AssertHeld();
        if (_importUseCount <= 0)
        {
            Dev.Warn($"imported object {Name}: unbalanced release of the attachment mapping");
            return;
        }

        if (--_importUseCount == 0 && Sgt is not null)
        {
            attach.DmaBuf.UnmapAttachment(attach, Sgt, Dir);
            _dmaMapped = false;
            Sgt = null;
        }
    }

    /// <summary>Puts the object on (or takes it off) the purgeable LRU according to its state.</summary>
    [Requires("Resv")]
    [MightSleep]
    private void UpdateLruLocked()
    {
        if (ImportAttach is null && IsPurgeableLocked)
        {
            Dev.Lru.MoveTail(this);
        }
        else
        {
            Dev.Lru.Remove(this);
        }
    }

    /// <summary><c>drm_gem_shmem_free</c>: under the reservation lock, tears down whatever is left.</summary>
    [MightSleep]
    [Excludes("Resv")]
    private void FreeNative()
    {
        using var guard = Resv.LockScoped();
        UnbindAllLocked();
        Dev.Lru.Remove(this);
        if (_vmapUseCount != 0 || _pinCount != 0 || _mmapCount != 0)
        {
            Dev.Warn($"object {Name} freed with vmap {_vmapUseCount}, pin {_pinCount}, mmap {_mmapCount}");
        }

        if (_pagesUseCount != 0)
        {
            Dev.Warn($"object {Name} freed with {_pagesUseCount} page users");
        }

        ReleaseBackingLocked();
        _swapped = null;
    }

    /// <summary><c>drm_prime_gem_destroy</c>: unmaps the attachment, detaches and drops the dma-buf reference.</summary>
    [MightSleep]
    [Excludes("Resv")]
    private void FreeImported(DmaBufAttachment attach)
    {
        var buf = attach.DmaBuf;
        UnbindImportedForFree();
        buf.Detach(attach);
        buf.Put();
    }

    [MightSleep]
    [Excludes("Resv")]
    private void UnbindImportedForFree()
    {
        using var guard = Resv.LockScoped();
        UnbindAllLocked();
        if (_importUseCount != 0)
        {
            Dev.Warn($"imported object {Name} freed with {_importUseCount} mapping users");
        }
    }
}
