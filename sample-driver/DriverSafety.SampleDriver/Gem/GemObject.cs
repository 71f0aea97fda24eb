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
public partial class GemObject
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

    public override string ToString() => $"gem object {Name} ({Size} bytes{(ImportAttach is null ? string.Empty : ", imported")})";

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
