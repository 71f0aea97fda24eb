using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Vgem;

/// <summary>
/// A userptr object (i915's <c>I915_GEM_USERPTR</c>): its pages are the process's own anonymous memory, pinned with
/// <c>pin_user_pages</c>. Pinning faults pages in under <c>mmap_lock</c>, which nests outside the reservation (seed
/// 002), so the pages are pinned before the reservation is taken and only handed over under it; an interval MMU
/// notifier tells the object when the range changes.
/// </summary>
public sealed class VgemUserptrObject : GemObject
{
    private const int MaxRetries = 8;

    [GuardedBy("Resv")]
    private Page[]? _pinnedPvec;

    [GuardedBy("Resv")]
    private long _pinnedSeq;

    private readonly Work _releaseWork;

    private VgemUserptrObject(GemDevice dev, MmStruct mm, ulong userAddress, long size)
        : base(dev, size)
    {
        Mm = mm;
        UserAddress = userAddress;
        Notifier = new UserptrNotifier(this, userAddress, (ulong)size);
        _releaseWork = new Work(ReleaseWorker, "VgemUserptrObject.ReleaseWorker");
    }

    /// <summary>The address space the pages belong to.</summary>
    public MmStruct Mm { get; }

    /// <summary>The first user address.</summary>
    public ulong UserAddress { get; }

    /// <summary>The interval notifier over [UserAddress, UserAddress + Size).</summary>
    public MmuIntervalNotifier Notifier { get; }

    /// <summary>How many invalidations found the reservation busy and deferred the release to the worker.</summary>
    public int DeferredInvalidations { get; private set; }

    /// <summary>How many invalidations released the pages directly.</summary>
    public int DirectInvalidations { get; private set; }

    /// <summary><c>i915_gem_userptr_ioctl</c>: the object and its notifier registration.</summary>
    [MightSleep]
    public static int Create(GemDevice dev, MmStruct mm, ulong userAddress, long size, out VgemUserptrObject? obj)
    {
        obj = null;
        if ((userAddress & (Page.Size - 1)) != 0 || size <= 0 || (size & (Page.Size - 1)) != 0)
        {
            return -Errno.EINVAL;
        }

        var created = new VgemUserptrObject(dev, mm, userAddress, size);
        var ret = mm.RegisterNotifier(created.Notifier);
        if (ret != 0)
        {
            created.Put();
            return ret;
        }

        obj = created;
        return 0;
    }

    /// <summary>
    /// <c>i915_gem_object_userptr_submit_init</c>: pins the user pages, without the reservation (pinning takes
    /// <c>mmap_lock</c>), then hands them to the object under the reservation if no invalidation ran meanwhile.
    /// </summary>
    [MightSleep]
    [Excludes("Resv")]
    public int PrepareUserPages()
    {
        for (var attempt = 0; attempt < MaxRetries; attempt++)
        {
            var seq = Notifier.ReadBegin();
            var pages = new Page[NumPages];
            var pinned = UserPages.PinUserPagesFast(Mm, UserAddress, NumPages, pages);
            if (pinned != NumPages)
            {
                if (pinned > 0)
                {
                    UserPages.UnpinUserPages(pages, pinned);
                }

                return pinned < 0 ? pinned : -Errno.EFAULT;
            }

            bool stale, used, alreadyBacked;
            using (var guard = Resv.LockScoped())
            {
                used = AdoptPinnedPagesLocked(pages, seq, out stale, out alreadyBacked);
            }

            if (!used)
            {
                UserPages.UnpinUserPages(pages, NumPages);
            }

            if (!stale && (used || alreadyBacked))
            {
                return 0;
            }
        }

        return -Errno.EAGAIN;
    }

    /// <summary>Keeps <paramref name="pages"/> for the next get_pages unless the range changed or pages are present.</summary>
    [Requires("Resv")]
    private bool AdoptPinnedPagesLocked(Page[] pages, long seq, out bool stale, out bool alreadyBacked)
    {
        stale = Notifier.ReadRetry(seq);
        var used = false;
        if (!stale && _pinnedPvec is null && !HasPages)
        {
            _pinnedPvec = pages;
            _pinnedSeq = seq;
            used = true;
        }

        alreadyBacked = HasPages || _pinnedPvec is not null;
        return used;
    }

    /// <summary>Hands over the pages <see cref="PrepareUserPages"/> pinned; -EAGAIN if the range changed since.</summary>
    [Requires("Resv")]
    [MightSleep]
    protected override int AllocBackingPagesLocked(out Page[]? pages)
    {
        pages = null;
        if (_pinnedPvec is not { } pvec)
        {
            return -Errno.EAGAIN;
        }

        _pinnedPvec = null;
        if (Notifier.ReadRetry(_pinnedSeq))
        {
            UserPages.UnpinUserPages(pvec, pvec.Length);
            return -Errno.EAGAIN;
        }

        pages = pvec;
        return 0;
    }

    /// <summary>Unpins the user pages (marking them dirty: the GPU may have written them).</summary>
    [Requires("Resv")]
    protected override void ReleaseBackingPagesLocked(Page[] pages) =>
        UserPages.UnpinUserPagesDirtyLock(pages, pages.Length, makeDirty: true);

    [MightSleep]
    protected override void OnFree()
    {
        DropPinnedPvec();
        Mm.UnregisterNotifier(Notifier);
    }

    /// <summary>
    /// Called with the reservation held (try-locked in reclaim, or locked by the worker): unbinds everywhere, which
    /// releases and unpins the pages with the last binding, and drops pages pinned but not yet used.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    private void ReleaseUserPagesLocked()
    {
        UnbindAllLocked();
        if (_pinnedPvec is { } pvec)
        {
            _pinnedPvec = null;
            UserPages.UnpinUserPages(pvec, pvec.Length);
        }
    }

    [MightSleep]
    [Excludes("Resv")]
    private void DropPinnedPvec()
    {
        using var guard = Resv.LockScoped();
        if (_pinnedPvec is { } pvec)
        {
            _pinnedPvec = null;
            UserPages.UnpinUserPages(pvec, pvec.Length);
        }
    }

    [MightSleep]
    private void ReleaseWorker()
    {
        using (var guard = Resv.LockScoped())
        {
            ReleaseUserPagesLocked();
        }

        Put();
    }

    /// <summary>
    /// The invalidate callback, in reclaim context (swap-out, munmap, compaction). It waits for the GPU without any
    /// lock, then only try-locks the reservation: reclaim must never block on a lock that is held around GFP_KERNEL
    /// allocations (seed 002). When the reservation is busy the release goes to a worker; the GPU is idle by then and
    /// the old pages stay pinned (never freed under the device) until the worker unbinds them.
    /// </summary>
    [ReclaimContext]
    [MightSleep]
    private bool InvalidateFromNotifier(MmuNotifierRange range)
    {
        if (range.Blockable)
        {
            Resv.WaitTimeout(DmaResvUsage.Bookkeep, intr: false, timeoutMs: 2000);
        }
        else if (!Resv.TestSignaled(DmaResvUsage.Bookkeep))
        {
            return false;
        }

        if (Resv.TryLock())
        {
            ReleaseUserPagesLocked();
            Resv.Unlock();
            DirectInvalidations++;
            return true;
        }

        if (!range.Blockable)
        {
            return false;
        }

        if (TryGet())
        {
            DeferredInvalidations++;
            if (!Dev.FreeQueue.Queue(_releaseWork))
            {
                PutDeferred();
            }
        }

        return true;
    }

    /// <summary>The object's <c>mmu_interval_notifier</c>.</summary>
    private sealed class UserptrNotifier : MmuIntervalNotifier
    {
        private readonly VgemUserptrObject _obj;

        public UserptrNotifier(VgemUserptrObject obj, ulong start, ulong length)
            : base(start, length)
        {
            _obj = obj;
        }

        [ReclaimContext]
        [MightSleep]
        protected override bool Invalidate(MmuNotifierRange range, long currentSeq) => _obj.InvalidateFromNotifier(range);
    }
}
