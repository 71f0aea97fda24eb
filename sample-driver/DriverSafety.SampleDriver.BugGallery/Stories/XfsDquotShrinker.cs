// "possible deadlock in xfs_qm_dqget_cache_insert", syzbot, linux-xfs, March 2024 (v6.8; answered by Dave Chinner,
// who marked the report a duplicate of the earlier one of the same name).
//
// The story. The XFS quota manager keeps its dquots in a radix tree under the mutex qi_tree_lock. Its shrinker,
// called by memory reclaim, takes qi_tree_lock to free unused dquots (xfs_qm_shrink_scan → xfs_qm_dqfree_one), so
// qi_tree_lock is a lock reclaim takes. xfs_qm_dqget_cache_insert() inserts into the radix tree with qi_tree_lock
// held, and the insert allocates tree nodes (kmem_cache_alloc) with flags that allow reclaim. Lockdep: "possible
// circular locking dependency detected ... (fs_reclaim) at: kmem_cache_alloc ... but task is already holding lock:
// (&qinf->qi_tree_lock)". The allocation may wait for reclaim, reclaim runs the shrinker, the shrinker waits for the
// lock.
//
// The fix. Not retold from upstream here. The fixed twin uses the kernel's usual way out for radix trees: preload
// the nodes before taking the lock (radix_tree_preload) and insert without allocating under it.
//
// Rule: DRV1008 at the allocation under the lock the shrinker takes.
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.BugGallery.XfsDquotShrinker;

internal static class Buggy
{
    private const int RadixTreeNodeBytes = 576;

    internal sealed class QuotaInfo
    {
        internal readonly Mutex QiTreeLock = new("xfs_quotainfo.qi_tree_lock");

        [GuardedBy("QiTreeLock")]
        internal readonly Dictionary<uint, byte[]> Tree = new();
    }

    /// <summary>xfs_qm_dqget_cache_insert: the radix-tree insert allocates a node under qi_tree_lock.</summary>
    internal static int DqgetCacheInsert(QuotaInfo qi, uint id)
    {
        qi.QiTreeLock.Lock();
        var node = Slab.Kmalloc(RadixTreeNodeBytes, Gfp.Kernel); // DRV1008
        var inserted = qi.Tree.TryAdd(id, node);
        qi.QiTreeLock.Unlock();
        return inserted ? 0 : -Errno.EEXIST;
    }

    /// <summary>xfs_qm_shrink_scan: reclaim frees unused dquots under qi_tree_lock.</summary>
    internal sealed class QmShrinker : Shrinker
    {
        private readonly QuotaInfo _qi;

        internal QmShrinker(QuotaInfo qi)
            : base("xfs-qm")
        {
            _qi = qi;
        }

        [ReclaimContext]
        public override long Count() => 1;

        [ReclaimContext]
        [MightSleep]
        public override long Scan(int nrToScan)
        {
            _qi.QiTreeLock.Lock();
            var freed = _qi.Tree.Count;
            _qi.Tree.Clear();
            _qi.QiTreeLock.Unlock();
            return freed;
        }
    }
}

internal static class Fixed
{
    private const int RadixTreeNodeBytes = 576;

    internal sealed class QuotaInfo
    {
        internal readonly Mutex QiTreeLock = new("xfs_quotainfo.qi_tree_lock");

        [GuardedBy("QiTreeLock")]
        internal readonly Dictionary<uint, byte[]> Tree = new();
    }

    /// <summary>radix_tree_preload first: the node is allocated before qi_tree_lock is taken.</summary>
    internal static int DqgetCacheInsert(QuotaInfo qi, uint id)
    {
        var node = Slab.Kmalloc(RadixTreeNodeBytes, Gfp.Kernel);
        qi.QiTreeLock.Lock();
        var inserted = qi.Tree.TryAdd(id, node);
        qi.QiTreeLock.Unlock();
        if (!inserted)
        {
            Slab.Kfree(node);
        }

        return inserted ? 0 : -Errno.EEXIST;
    }

    internal sealed class QmShrinker : Shrinker
    {
        private readonly QuotaInfo _qi;

        internal QmShrinker(QuotaInfo qi)
            : base("xfs-qm")
        {
            _qi = qi;
        }

        [ReclaimContext]
        public override long Count() => 1;

        [ReclaimContext]
        [MightSleep]
        public override long Scan(int nrToScan)
        {
            _qi.QiTreeLock.Lock();
            var freed = _qi.Tree.Count;
            _qi.Tree.Clear();
            _qi.QiTreeLock.Unlock();
            return freed;
        }
    }
}
