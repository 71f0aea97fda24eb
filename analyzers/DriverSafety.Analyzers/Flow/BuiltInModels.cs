using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// The models table: what .NET members do that needs no annotation, kept as data (SPEC §3.1, §7.6c, §7.6d, §7.6f).
    /// It applies in every compilation that references the annotations.
    /// </summary>
    internal static class BuiltInModels
    {
        /// <summary>LINQ operators that enumerate their source (and run their lambdas) before they return.</summary>
        public static readonly ImmutableHashSet<string> ImmediateLinq = ImmutableHashSet.Create(
            "Aggregate", "All", "Any", "Average", "Contains", "Count", "LongCount", "ElementAt", "ElementAtOrDefault", "First",
            "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault", "Max", "MaxBy", "Min", "MinBy", "Sum",
            "ToArray", "ToList", "ToDictionary", "ToHashSet", "ToLookup", "SequenceEqual", "ForEach");

        /// <summary>LINQ operators that only compose: their lambdas run when the chain is consumed.</summary>
        public static readonly ImmutableHashSet<string> DeferredLinq = ImmutableHashSet.Create(
            "Where", "Select", "SelectMany", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy", "Join",
            "GroupJoin", "TakeWhile", "SkipWhile", "Distinct", "DistinctBy", "Zip", "Concat", "Skip", "Take", "Reverse", "Cast",
            "OfType", "Union", "UnionBy", "Intersect", "IntersectBy", "Except", "ExceptBy", "Append", "Prepend", "Chunk");

        /// <summary>Members of well-known types that call a delegate argument before they return (type metadata name, member).</summary>
        public static readonly ImmutableHashSet<(string Type, string Member)> InvokedBeforeReturn = ImmutableHashSet.Create(
            ("System.Collections.Generic.List`1", "ForEach"),
            ("System.Collections.Generic.List`1", "Find"),
            ("System.Collections.Generic.List`1", "FindAll"),
            ("System.Collections.Generic.List`1", "FindIndex"),
            ("System.Collections.Generic.List`1", "FindLast"),
            ("System.Collections.Generic.List`1", "FindLastIndex"),
            ("System.Collections.Generic.List`1", "Exists"),
            ("System.Collections.Generic.List`1", "RemoveAll"),
            ("System.Collections.Generic.List`1", "TrueForAll"),
            ("System.Collections.Generic.List`1", "ConvertAll"),
            ("System.Collections.Generic.List`1", "Sort"),
            ("System.Collections.Generic.HashSet`1", "RemoveWhere"),
            ("System.Collections.Generic.SortedSet`1", "RemoveWhere"),
            ("System.Collections.Concurrent.ConcurrentDictionary`2", "GetOrAdd"),
            ("System.Collections.Concurrent.ConcurrentDictionary`2", "AddOrUpdate"),
            ("System.Array", "ForEach"),
            ("System.Array", "Find"),
            ("System.Array", "FindAll"),
            ("System.Array", "FindIndex"),
            ("System.Array", "FindLast"),
            ("System.Array", "Exists"),
            ("System.Array", "TrueForAll"),
            ("System.Array", "ConvertAll"),
            ("System.Array", "Sort"),
            ("System.MemoryExtensions", "Sort"),
            ("System.String", "Join"),
            ("System.String", "Concat"));

        /// <summary>
        /// .NET members that block the calling thread (SPEC §3.2, "what may sleep"): in atomic context they are DRV2001
        /// like a kernel sleep. Matched on the member's type or a base type (<c>Mutex.WaitOne</c> is <c>WaitHandle.WaitOne</c>).
        /// A call with a constant zero timeout only polls and does not block.
        /// </summary>
        public static readonly ImmutableHashSet<(string Type, string Member)> Blocking = ImmutableHashSet.Create(
            ("System.Threading.Thread", "Sleep"),
            ("System.Threading.Thread", "Join"),
            ("System.Threading.Monitor", "Enter"),
            ("System.Threading.Monitor", "Wait"),
            ("System.Threading.SemaphoreSlim", "Wait"),
            ("System.Threading.ManualResetEventSlim", "Wait"),
            ("System.Threading.CountdownEvent", "Wait"),
            ("System.Threading.Barrier", "SignalAndWait"),
            ("System.Threading.ReaderWriterLockSlim", "EnterReadLock"),
            ("System.Threading.ReaderWriterLockSlim", "EnterWriteLock"),
            ("System.Threading.ReaderWriterLockSlim", "EnterUpgradeableReadLock"),
            ("System.Threading.ReaderWriterLock", "AcquireReaderLock"),
            ("System.Threading.ReaderWriterLock", "AcquireWriterLock"),
            ("System.Threading.WaitHandle", "WaitOne"),
            ("System.Threading.WaitHandle", "WaitAll"),
            ("System.Threading.WaitHandle", "WaitAny"),
            ("System.Threading.WaitHandle", "SignalAndWait"),
            ("System.Threading.Tasks.Task", "Wait"),
            ("System.Threading.Tasks.Task", "WaitAll"),
            ("System.Threading.Tasks.Task", "WaitAny"),
            ("System.Threading.Tasks.Task`1", "get_Result"),
            ("System.Threading.Tasks.ValueTask`1", "get_Result"),
            ("System.Runtime.CompilerServices.TaskAwaiter", "GetResult"),
            ("System.Runtime.CompilerServices.TaskAwaiter`1", "GetResult"),
            ("System.Runtime.CompilerServices.ValueTaskAwaiter", "GetResult"),
            ("System.Runtime.CompilerServices.ValueTaskAwaiter`1", "GetResult"),
            ("System.Runtime.CompilerServices.ConfiguredTaskAwaitable+ConfiguredTaskAwaiter", "GetResult"),
            ("System.Runtime.CompilerServices.ConfiguredTaskAwaitable`1+ConfiguredTaskAwaiter", "GetResult"),
            ("System.Collections.Concurrent.BlockingCollection`1", "Take"),
            ("System.Collections.Concurrent.BlockingCollection`1", "Add"),
            ("System.Collections.Concurrent.BlockingCollection`1", "TakeFromAny"),
            ("System.Collections.Concurrent.BlockingCollection`1", "AddToAny"),
            ("System.Threading.Tasks.Parallel", "For"),
            ("System.Threading.Tasks.Parallel", "ForEach"),
            ("System.Threading.Tasks.Parallel", "Invoke"),
            ("System.Console", "ReadLine"),
            ("System.Console", "ReadKey"),
            ("System.Console", "Read"));

        /// <summary>Why <paramref name="method"/> blocks the thread, when the models table says it does; null otherwise.</summary>
        public static string? Blocks(IMethodSymbol method, IOperation site)
        {
            if (!BlockingMembers.Contains(method.Name))
            {
                // Asked at every call: most callees are not in the table, and building a type's full name allocates.
                return null;
            }

            for (var type = method.ContainingType; type is not null; type = type.BaseType)
            {
                if (Blocking.Contains((MetadataName(type), method.Name)))
                {
                    return PollsOnly(method, site) ? null : $"'{type.Name}.{method.Name.Replace("get_", string.Empty)}' blocks the thread";
                }
            }

            return null;
        }

        /// <summary>The member names of <see cref="Blocking"/>: a call to any other name cannot block by the table.</summary>
        private static readonly ImmutableHashSet<string> BlockingMembers = Blocking.Select(b => b.Member).ToImmutableHashSet(System.StringComparer.Ordinal);

        /// <summary>A wait with a constant zero timeout (<c>WaitOne(0)</c>, <c>Wait(0)</c>) polls and returns.</summary>
        private static bool PollsOnly(IMethodSymbol method, IOperation site) =>
            site is Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation &&
            invocation.Arguments.Any(a => a.Parameter is { } p && (p.Name.IndexOf("timeout", System.StringComparison.OrdinalIgnoreCase) >= 0 || p.Name == "millisecondsTimeout") &&
                a.Value.ConstantValue is { HasValue: true, Value: 0 });

        private static string MetadataName(INamedTypeSymbol type)
        {
            var definition = type.OriginalDefinition;
            var name = definition.MetadataName;
            for (var outer = definition.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                name = outer.MetadataName + "+" + name;
            }

            var ns = definition.ContainingNamespace;
            return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
        }

        /// <summary>Members that consume an enumerable argument at once (a deferred chain passed to them runs there).</summary>
        public static readonly ImmutableHashSet<(string Type, string Member)> ConsumesAtOnce = ImmutableHashSet.Create(
            ("System.String", "Join"),
            ("System.String", "Concat"),
            ("System.Collections.Generic.List`1", "AddRange"),
            ("System.Collections.Generic.List`1", "InsertRange"),
            ("System.Collections.Generic.HashSet`1", "UnionWith"));

        private static readonly ImmutableHashSet<string> ConsumesAtOnceMembers = ConsumesAtOnce.Select(b => b.Member).ToImmutableHashSet(System.StringComparer.Ordinal);

        private static readonly ImmutableHashSet<string> InvokedBeforeReturnMembers = InvokedBeforeReturn.Select(b => b.Member).ToImmutableHashSet(System.StringComparer.Ordinal);

        /// <summary>Mutators of well-known collections: calling one on a guarded collection is a write (§7.6d).</summary>
        public static readonly ImmutableHashSet<string> CollectionMutators = ImmutableHashSet.Create(
            "Add", "AddRange", "AddFirst", "AddLast", "AddBefore", "AddAfter", "Clear", "Insert", "InsertRange", "Remove", "RemoveAt",
            "RemoveAll", "RemoveRange", "RemoveFirst", "RemoveLast", "RemoveWhere", "Reverse", "Sort", "Push", "Pop", "Enqueue", "Dequeue",
            "TryAdd", "TryRemove", "TryDequeue", "TryPop", "TryUpdate", "AddOrUpdate", "GetOrAdd", "UnionWith", "IntersectWith",
            "ExceptWith", "SymmetricExceptWith", "TrimExcess", "EnsureCapacity", "Set", "CopyTo");

        /// <summary>Namespaces whose types are "well-known collections" for <see cref="CollectionMutators"/>.</summary>
        public static readonly ImmutableHashSet<string> CollectionNamespaces = ImmutableHashSet.Create(
            "System.Collections", "System.Collections.Generic", "System.Collections.Concurrent", "System.Collections.ObjectModel",
            "System.Collections.Immutable", "System.Collections.Specialized");

        public static bool IsCollectionMutator(IMethodSymbol method) =>
            !method.IsStatic && CollectionMutators.Contains(method.Name) && method.ContainingType is { } type &&
            CollectionNamespaces.Contains(type.ContainingNamespace?.ToDisplayString() ?? string.Empty);

        public static bool IsLinq(IMethodSymbol method) =>
            method.IsExtensionMethod && method.ContainingType?.Name == "Enumerable" &&
            method.ContainingType.ContainingNamespace?.ToDisplayString() == "System.Linq";

        public static bool Invokes(IMethodSymbol method)
        {
            var original = method.ReducedFrom ?? method;
            if (IsLinq(original))
            {
                return ImmediateLinq.Contains(method.Name);
            }

            var type = original.ContainingType?.OriginalDefinition;
            return type is not null && InvokedBeforeReturnMembers.Contains(method.Name) && InvokedBeforeReturn.Contains((MetadataName(type), method.Name));
        }

        public static bool Consumes(IMethodSymbol method)
        {
            var type = (method.ReducedFrom ?? method).ContainingType?.OriginalDefinition;
            return type is not null && ConsumesAtOnceMembers.Contains(method.Name) && ConsumesAtOnce.Contains((MetadataName(type), method.Name));
        }


    }

    /// <summary>After the call the value at <see cref="Key"/> is <see cref="Value"/> (the <c>lockTaken</c> flag of <c>Monitor.Enter</c>).</summary>
    internal sealed class KnowValue : Effect
    {
        public KnowValue(ValueKey key, ConditionValue value)
        {
            Key = key;
            Value = value;
        }

        public ValueKey Key { get; }
        public ConditionValue Value { get; }

        public override FlowState Apply(FlowState state, EffectContext context) => state.WithValues(state.Values.With(Key, Value));
    }

    /// <summary>
    /// The built-in lock models: the C# <c>lock</c> statement and <c>Monitor.Enter/TryEnter/Exit</c> (a re-entrant
    /// sleeping lock named by its expression), and disposing a guard value.
    /// </summary>
    internal sealed class BuiltInLockModels : IEffectSource
    {
        public bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            if (site.ConvertedTo is not null)
            {
                return false;
            }

            var method = site.Method;
            if (resolution.Contracts.Known.Monitor is { } monitor && SymbolEqualityComparer.Default.Equals(method.ContainingType, monitor) && !method.Parameters.IsEmpty)
            {
                var lockPath = site.Argument(0);
                switch (method.Name)
                {
                    case "Enter":
                        if (lockPath is not null)
                        {
                            effects.Add(new AcquireLock(lockPath, false, false, 0, reentrant: true, lockKind: 0));
                        }

                        if (method.Parameters.Length > 1 && site.ArgumentKey(1) is { } taken)
                        {
                            effects.Add(new KnowValue(taken, ConditionValue.Bool(true)));
                        }

                        return true;
                    case "TryEnter" when lockPath is not null:
                        var last = method.Parameters.Length - 1;
                        var key = method.Parameters[last].RefKind == RefKind.Ref && site.ArgumentKey(last) is { } tryTaken ? tryTaken : site.ResultKey;
                        effects.Add(new TryAcquireLock(ImmutableArray.Create(lockPath), false, ConditionValue.Bool(true), blocking: method.Parameters.Length > 1 && method.Parameters[1].Type.SpecialType != SpecialType.System_Boolean, reentrant: true, lockKind: 0, key));
                        return true;
                    case "Exit" when lockPath is not null:
                        effects.Add(new ReleaseLock(lockPath, null, byGuard: false));
                        return true;
                    default:
                        return true;
                }
            }

            if (method.Name == "Dispose" && method.Parameters.IsEmpty && site.ReceiverKey is { } guardKey &&
                before.Locks.Guards.FirstOrDefault(g => g.Key.Equals(guardKey)) is { } guard)
            {
                foreach (var lockPath in guard.Locks)
                {
                    effects.Add(new ReleaseLock(lockPath, null, byGuard: true));
                }

                effects.Add(new UnbindGuard(guard));
                return true;
            }

            return false;
        }
    }
}
