using System;
using System.Collections.Immutable;

namespace DriverSafety.Analyzers.Flow.Domains
{
    /// <summary>The question every domain answers at every store and branch: does some fact hang off this key?</summary>
    internal static class Keyed
    {
        /// <summary>
        /// Whether some item's key is <paramref name="key"/>: a plain loop, with no allocation as long as
        /// <paramref name="keyOf"/> captures nothing (the compiler then caches its delegate).
        /// </summary>
        public static bool Any<T>(ImmutableArray<T> items, Func<T, ValueKey> keyOf, ValueKey key)
        {
            foreach (var item in items)
            {
                if (keyOf(item).Equals(key))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
