using System;
using System.Collections.Generic;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>
    /// Tarjan's strongly connected components, iterative (deep call chains cannot overflow the stack), callees before
    /// callers. Reusable for any graph: the summaries' call graph now, the lock-order graph's cycles later.
    /// </summary>
    internal static class StronglyConnected
    {
        /// <summary>
        /// The components reachable from <paramref name="root"/> through <paramref name="successors"/>, skipping nodes for
        /// which <paramref name="skip"/> is true; each with whether it is recursive (more than one node, or a self edge).
        /// </summary>
        public static List<(List<T> Members, bool Recursive)> From<T>(T root, Func<T, IEnumerable<T>> successors, Func<T, bool> skip, IEqualityComparer<T> comparer)
        {
            var result = new List<(List<T>, bool)>();
            var index = new Dictionary<T, int>(comparer);
            var low = new Dictionary<T, int>(comparer);
            var onStack = new HashSet<T>(comparer);
            var selfEdges = new HashSet<T>(comparer);
            var stack = new Stack<T>();
            var frames = new Stack<(T Node, IEnumerator<T> Next)>();

            void Enter(T node)
            {
                index[node] = low[node] = index.Count;
                stack.Push(node);
                onStack.Add(node);
                frames.Push((node, successors(node).GetEnumerator()));
            }

            Enter(root);
            while (frames.Count > 0)
            {
                var (node, next) = frames.Peek();
                if (next.MoveNext())
                {
                    var successor = next.Current;
                    if (skip(successor))
                    {
                        continue;
                    }

                    if (!index.ContainsKey(successor))
                    {
                        Enter(successor);
                    }
                    else if (onStack.Contains(successor))
                    {
                        low[node] = Math.Min(low[node], index[successor]);
                        if (comparer.Equals(successor, node))
                        {
                            selfEdges.Add(node);
                        }
                    }

                    continue;
                }

                frames.Pop();
                if (frames.Count > 0)
                {
                    var caller = frames.Peek().Node;
                    low[caller] = Math.Min(low[caller], low[node]);
                }

                if (low[node] == index[node])
                {
                    var members = new List<T>();
                    T member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        members.Add(member);
                    }
                    while (!comparer.Equals(member, node));

                    members.Reverse();
                    result.Add((members, members.Count > 1 || selfEdges.Contains(node)));
                }
            }

            return result;
        }
    }
}
