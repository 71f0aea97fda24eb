using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow.Domains
{
    /// <summary>Whether an object is in a state (or has a resource) on the paths reaching a point.</summary>
    internal enum Presence
    {
        /// <summary>Nothing is known: a parameter or field not proved either way. Trusted by ends, not enough for requirements.</summary>
        Unknown,

        /// <summary>In the state on every path.</summary>
        In,

        /// <summary>Known not to be in the state on every path.</summary>
        NotIn,

        /// <summary>Known not to be in the state on some path (and maybe in it on others).</summary>
        Maybe,
    }

    /// <summary>
    /// The object a lifetime fact is about: an access path rooted at <c>this</c>, a parameter or a static
    /// (<c>obj.Sgt</c>), or a value known by its key (a local, a capture, a call's result until it is stored), with an
    /// optional member path from that value.
    /// </summary>
    internal sealed class ObjectTarget : System.IEquatable<ObjectTarget>
    {
        private ObjectTarget(AccessPath? path, ValueKey? key, ImmutableArray<ISymbol> members)
        {
            Path = path;
            Key = key;
            Members = members;
        }

        public AccessPath? Path { get; }
        public ValueKey? Key { get; }

        /// <summary>For a value target: the member path from the value.</summary>
        public ImmutableArray<ISymbol> Members { get; }

        /// <summary>A target the method owns outright: a value of its own (a local, a result), or a member path from one.</summary>
        public bool IsValue => Key is not null;

        public static ObjectTarget ForKey(ValueKey key) => new ObjectTarget(null, key, ImmutableArray<ISymbol>.Empty);

        /// <summary>The target an access path (and the key of the same value) denotes: a path rooted at a local is that local's value.</summary>
        public static ObjectTarget? For(AccessPath? path, ValueKey? key)
        {
            if (path is { Kind: PathRootKind.Local, Root: ILocalSymbol local })
            {
                return new ObjectTarget(null, ValueKey.Local(local), path.Members);
            }

            if (path is not null)
            {
                return new ObjectTarget(path, null, ImmutableArray<ISymbol>.Empty);
            }

            return key is { } k ? ForKey(k) : null;
        }

        public ObjectTarget Append(ImmutableArray<ISymbol> members)
        {
            if (members.IsEmpty)
            {
                return this;
            }

            return Path is not null ? new ObjectTarget(Path.Append(members), null, ImmutableArray<ISymbol>.Empty) : new ObjectTarget(null, Key, Members.AddRange(members));
        }

        public ObjectTarget WithKey(ValueKey key) => new ObjectTarget(null, key, Members);

        /// <summary>The target is the value at <paramref name="key"/> or a member path from it.</summary>
        public bool RootedAt(ValueKey key) => Key is { } k && k.Equals(key);

        public bool Equals(ObjectTarget? other)
        {
            if (other is null)
            {
                return false;
            }

            if (Path is not null)
            {
                return Path.Equals(other.Path);
            }

            return other.Path is null && Key.Equals(other.Key) && Members.SequenceEqual(other.Members, SymbolEqualityComparer.Default);
        }

        public override bool Equals(object? obj) => obj is ObjectTarget other && Equals(other);

        public override int GetHashCode() => Path?.GetHashCode() ?? (Key?.GetHashCode() ?? 0) ^ Members.Length;

        /// <summary>The target as the user wrote it (<c>obj.Sgt</c>, <c>handle</c>, <c>the result of 'MapPage'</c>).</summary>
        public override string ToString()
        {
            if (Path is not null)
            {
                return Path.ToString();
            }

            var root = Key?.Identity switch
            {
                ILocalSymbol local => local.Name,
                IInvocationOperation invocation => "the result of '" + invocation.TargetMethod.Name + "'",
                IObjectCreationOperation creation => "the new '" + creation.Type?.Name + "'",
                _ => "the value",
            };
            return Members.IsEmpty ? root : root + "." + string.Join(".", Members.Select(m => m.Name));
        }
    }

    /// <summary>A resource begun by a call in the analysed body: where, by which clause, and what the body still owes.</summary>
    internal sealed class Opening : System.IEquatable<Opening>
    {
        public Opening(IOperation site, IMethodSymbol method, LifetimeClause clause, int count, AccessPath? whileLock, Presence prior,
            ObjectTarget? handle, ValueKey? condition, ValueKey? checkKey, bool checkedHandle, bool handedOver, ImmutableArray<MatchValue> match)
        {
            Site = site;
            Method = method;
            Clause = clause;
            Count = count;
            While = whileLock;
            Prior = prior;
            Handle = handle;
            Condition = condition;
            CheckKey = checkKey;
            Checked = checkedHandle;
            HandedOver = handedOver;
            Match = match;
        }

        public IOperation Site { get; }
        public IMethodSymbol Method { get; }
        public LifetimeClause Clause { get; }

        /// <summary>How many begins of a counted resource this body has not yet ended.</summary>
        public int Count { get; }

        /// <summary>The lock the resource depends on (<c>While</c>), substituted at the begin; null once released (§7.22).</summary>
        public AccessPath? While { get; }

        /// <summary>The target's presence before the begin (what a counted resource's last end returns to).</summary>
        public Presence Prior { get; }

        /// <summary>The value that carries the mapping handle (its <c>out</c> argument or the result).</summary>
        public ObjectTarget? Handle { get; }

        /// <summary>The key of the begin's result while its <c>When</c> is undecided.</summary>
        public ValueKey? Condition { get; }

        /// <summary>The key of a <c>CheckedBy</c> call's result while it is undecided.</summary>
        public ValueKey? CheckKey { get; }

        /// <summary>The handle went through its <c>CheckedBy</c> method (or the clause has none).</summary>
        public bool Checked { get; }

        /// <summary>The target or its handle was stored in a field or returned: the body no longer owes its end.</summary>
        public bool HandedOver { get; }

        /// <summary>The begin's arguments (and its out values), for the <c>Match</c> of an end.</summary>
        public ImmutableArray<MatchValue> Match { get; }

        public Opening With(int? count = null, AccessPath? whileLock = null, bool untie = false, ValueKey? condition = null, bool clearCondition = false,
            ValueKey? checkKey = null, bool clearCheck = false, bool? checkedHandle = null, bool? handedOver = null, ObjectTarget? handle = null) =>
            new Opening(Site, Method, Clause, count ?? Count, untie ? null : whileLock ?? While, Prior, handle ?? Handle,
                clearCondition ? null : condition ?? Condition, clearCheck ? null : checkKey ?? CheckKey, checkedHandle ?? Checked, handedOver ?? HandedOver, Match);

        public bool Equals(Opening? other) =>
            other is not null && ReferenceEquals(Site, other.Site) && ReferenceEquals(Clause, other.Clause) && Count == other.Count && Equals(While, other.While) &&
            Prior == other.Prior && Equals(Handle, other.Handle) && Condition.Equals(other.Condition) && CheckKey.Equals(other.CheckKey) &&
            Checked == other.Checked && HandedOver == other.HandedOver;

        public override bool Equals(object? obj) => obj is Opening other && Equals(other);

        public override int GetHashCode() => Site.GetHashCode() ^ Count;
    }

    /// <summary>An argument of a begin or end as <c>Match</c> compares it: a constant, or an access path / value key.</summary>
    internal sealed class MatchValue
    {
        public MatchValue(string parameter, ConditionValue? constant, AccessPath? path, ValueKey? key)
        {
            Parameter = parameter;
            Constant = constant;
            Path = path;
            Key = key;
        }

        public string Parameter { get; }
        public ConditionValue? Constant { get; }
        public AccessPath? Path { get; }
        public ValueKey? Key { get; }

        /// <summary>True or false where the two can be compared; null where they cannot be told apart or together.</summary>
        public bool? SameAs(MatchValue other)
        {
            if (Constant is { } a && other.Constant is { } b)
            {
                return a.Equals(b);
            }

            if (Constant is null && other.Constant is null)
            {
                if (Path is not null && other.Path is not null)
                {
                    return Path.Equals(other.Path);
                }

                if (Key is { } k && other.Key is { } l && !k.IsOperation && !l.IsOperation)
                {
                    return k.Equals(l);
                }
            }

            return null;
        }

        public override string ToString() => Constant?.ToString() ?? Path?.ToString() ?? (Key?.Identity as ILocalSymbol)?.Name ?? "?";
    }

    /// <summary>One fact: <see cref="Target"/> is (not) in state <see cref="Name"/>; <see cref="Open"/> where this body began it.</summary>
    internal sealed class ObjectFact : System.IEquatable<ObjectFact>
    {
        public ObjectFact(ObjectTarget target, string name, Presence presence, Opening? open)
        {
            Target = target;
            Name = name;
            Presence = presence;
            Open = open;
        }

        public ObjectTarget Target { get; }
        public string Name { get; }
        public Presence Presence { get; }
        public Opening? Open { get; }

        public bool Is(ObjectTarget target, string name) => Name == name && Target.Equals(target);

        public ObjectFact With(Presence presence, Opening? open) => new ObjectFact(Target, Name, presence, open);

        public ObjectFact WithTarget(ObjectTarget target) => new ObjectFact(target, Name, Presence, Open);

        public bool Equals(ObjectFact? other) => other is not null && Name == other.Name && Presence == other.Presence && Target.Equals(other.Target) && Equals(Open, other.Open);

        public override bool Equals(object? obj) => obj is ObjectFact other && Equals(other);

        public override int GetHashCode() => Target.GetHashCode() ^ Name.GetHashCode() ^ (int)Presence;
    }

    /// <summary>What is known about a value's sign or nullness on this path (for failure exits and <c>When</c>).</summary>
    internal sealed class ValueShape : System.IEquatable<ValueShape>
    {
        public ValueShape(ValueKey key, bool nonZero)
        {
            Key = key;
            NonZero = nonZero;
        }

        public ValueKey Key { get; }

        /// <summary>The value is known non-zero (non-null for a reference) on this path.</summary>
        public bool NonZero { get; }

        public bool Equals(ValueShape? other) => other is not null && Key.Equals(other.Key) && NonZero == other.NonZero;
        public override bool Equals(object? obj) => obj is ValueShape other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode();
    }

    /// <summary>A local that holds a copy of another value.</summary>
    internal sealed class KeyAlias : System.IEquatable<KeyAlias>
    {
        public KeyAlias(ValueKey alias, ValueKey canonical)
        {
            Alias = alias;
            Canonical = canonical;
        }

        public ValueKey Alias { get; }
        public ValueKey Canonical { get; }

        public bool Equals(KeyAlias? other) => other is not null && Alias.Equals(other.Alias) && Canonical.Equals(other.Canonical);
        public override bool Equals(object? obj) => obj is KeyAlias other && Equals(other);
        public override int GetHashCode() => Alias.GetHashCode();
    }

    /// <summary>The lifetime family's facts: per object and state, its presence, and what this body began; fresh objects; value shapes.</summary>
    internal sealed class ObjectSet
    {
        public static ObjectSet Empty { get; } = new ObjectSet(ImmutableArray<ObjectFact>.Empty, ImmutableArray<ValueKey>.Empty, ImmutableArray<ValueShape>.Empty, ImmutableArray<KeyAlias>.Empty);

        public ObjectSet(ImmutableArray<ObjectFact> facts, ImmutableArray<ValueKey> fresh, ImmutableArray<ValueShape> shapes, ImmutableArray<KeyAlias> aliases)
        {
            Facts = facts;
            Fresh = fresh;
            Shapes = shapes;
            Aliases = aliases;
        }

        /// <summary>Locals that hold a copy of another local's value (<c>var copy = addr;</c>): facts stay on the original.</summary>
        public ImmutableArray<KeyAlias> Aliases { get; }

        /// <summary>The key facts about this value are kept under.</summary>
        public ValueKey Canonical(ValueKey key)
        {
            foreach (var alias in Aliases)
            {
                if (alias.Alias.Equals(key))
                {
                    return alias.Canonical;
                }
            }

            return key;
        }

        /// <summary>The target as facts name it (a copy of a local stands for the original).</summary>
        public ObjectTarget? Canonical(ObjectTarget? target) =>
            target?.Key is { } key && !Aliases.IsEmpty && !Canonical(key).Equals(key) ? target.WithKey(Canonical(key)) : target;

        public ImmutableArray<ObjectFact> Facts { get; }

        /// <summary>Values created in this body (<c>new</c>, or a call that returns a fresh object): in no state until a fact says so.</summary>
        public ImmutableArray<ValueKey> Fresh { get; }
        public ImmutableArray<ValueShape> Shapes { get; }

        public bool IsFresh(ObjectTarget target) => target.Key is { } key && target.Members.IsEmpty && Fresh.Contains(key);

        public ObjectFact? Find(ObjectTarget target, string name)
        {
            foreach (var fact in Facts)
            {
                if (fact.Is(target, name))
                {
                    return fact;
                }
            }

            return null;
        }

        /// <summary>The target's presence in <paramref name="name"/>: its fact, or none for a fresh object, else unknown.</summary>
        public Presence PresenceOf(ObjectTarget target, string name) => Find(target, name)?.Presence ?? (IsFresh(target) ? Presence.NotIn : Presence.Unknown);

        public ObjectSet Set(ObjectFact fact) => new ObjectSet(Facts.RemoveAll(f => f.Is(fact.Target, fact.Name)).Add(fact), Fresh, Shapes, Aliases);

        public ObjectSet Remove(ObjectTarget target, string name) => new ObjectSet(Facts.RemoveAll(f => f.Is(target, name)), Fresh, Shapes, Aliases);

        public ObjectSet With(ImmutableArray<ObjectFact>? facts = null, ImmutableArray<ValueKey>? fresh = null, ImmutableArray<ValueShape>? shapes = null, ImmutableArray<KeyAlias>? aliases = null) =>
            new ObjectSet(facts ?? Facts, fresh ?? Fresh, shapes ?? Shapes, aliases ?? Aliases);

        public bool? NonZero(ValueKey key)
        {
            foreach (var shape in Shapes)
            {
                if (shape.Key.Equals(key))
                {
                    return shape.NonZero;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The lifetime domain (SPEC §3.3, §7.13–7.17). Presence joins to <see cref="Presence.Maybe"/> where one path knows the
    /// object is not in the state; a resource begun on some paths only keeps its opening (a leak is judged exit by exit).
    /// A begin's undecided <c>When</c> and a handle's undecided <c>CheckedBy</c> result are refined like a try-lock's result.
    /// </summary>
    internal sealed class ObjectDomain : Domain<ObjectSet>
    {
        /// <summary>A counted resource's begins are tracked up to this many (a loop that begins each iteration stays finite).</summary>
        public const int MaxCount = 4;

        public override ObjectSet EmptyValue => ObjectSet.Empty;

        public override ObjectSet Join(ObjectSet left, ObjectSet right, MergeContext merge)
        {
            if (ReferenceEquals(left, right) || Equal(left, right))
            {
                return left;
            }

            var facts = ImmutableArray.CreateBuilder<ObjectFact>();
            foreach (var a in left.Facts)
            {
                var b = right.Find(a.Target, a.Name);
                var bPresence = b?.Presence ?? right.PresenceOf(a.Target, a.Name);
                var joined = JoinFacts(a, b, bPresence);
                if (joined is not null)
                {
                    facts.Add(joined);
                }
            }

            foreach (var b in right.Facts)
            {
                if (left.Find(b.Target, b.Name) is not null)
                {
                    continue;
                }

                var joined = JoinFacts(b, null, left.PresenceOf(b.Target, b.Name));
                if (joined is not null)
                {
                    facts.Add(joined);
                }
            }

            var result = new ObjectSet(
                facts.ToImmutable(),
                left.Fresh.Where(right.Fresh.Contains).ToImmutableArray(),
                left.Shapes.Where(right.Shapes.Contains).ToImmutableArray(),
                left.Aliases.Where(right.Aliases.Contains).ToImmutableArray());
            return Equal(result, left) ? left : result;
        }

        private static ObjectFact? JoinFacts(ObjectFact a, ObjectFact? b, Presence other)
        {
            var presence = JoinPresence(a.Presence, other);
            var open = a.Open;
            if (b?.Open is { } bOpen)
            {
                open = open is null ? bOpen : JoinOpenings(open, bOpen);
            }

            if (presence == Presence.Unknown && open is null)
            {
                return null;
            }

            return presence == a.Presence && Equals(open, a.Open) ? a : a.With(presence, open);
        }

        private static Opening JoinOpenings(Opening a, Opening b)
        {
            if (a.Equals(b))
            {
                return a;
            }

            var first = a.Site.Syntax.SpanStart <= b.Site.Syntax.SpanStart ? a : b;
            return first.With(
                count: System.Math.Max(a.Count, b.Count),
                whileLock: a.While ?? b.While,
                untie: a.While is null && b.While is null,
                condition: a.Condition.Equals(b.Condition) ? a.Condition : null,
                clearCondition: !a.Condition.Equals(b.Condition),
                checkKey: a.CheckKey.Equals(b.CheckKey) ? a.CheckKey : null,
                clearCheck: !a.CheckKey.Equals(b.CheckKey),
                checkedHandle: a.Checked && b.Checked,
                handedOver: a.HandedOver && b.HandedOver);
        }

        public static Presence JoinPresence(Presence a, Presence b)
        {
            if (a == b)
            {
                return a;
            }

            if (a == Presence.Maybe || b == Presence.Maybe || a == Presence.NotIn || b == Presence.NotIn)
            {
                return Presence.Maybe;
            }

            return Presence.Unknown;
        }

        public override ObjectSet LoopBackEdge(ObjectSet entry, ObjectSet backEdge, MergeContext merge) => Join(entry, backEdge, merge);

        public override object Widen(object value)
        {
            // Facts are finite (targets and names of the body, counts capped); shapes are forgotten.
            var set = (ObjectSet)value;
            return set.Shapes.IsEmpty ? set : set.With(shapes: ImmutableArray<ValueShape>.Empty);
        }

        public override bool Equal(ObjectSet left, ObjectSet right) =>
            ReferenceEquals(left, right) ||
            (Sets.Equal(left.Facts, right.Facts) && Sets.Equal(left.Fresh, right.Fresh) && Sets.Equal(left.Shapes, right.Shapes) && Sets.Equal(left.Aliases, right.Aliases));

        public override int Hash(ObjectSet value)
        {
            var hash = value.Fresh.Length * 7 + value.Shapes.Length * 13;
            foreach (var fact in value.Facts)
            {
                hash ^= fact.GetHashCode();
            }

            return hash;
        }

        /// <summary>A reassigned local: facts about its value go (their value is no longer reachable through it).</summary>
        public override ObjectSet Forget(ObjectSet value, ValueKey key) =>
            Mentions(value, key) ? ForgetMentioned(value, key) : value;

        /// <summary>Whether any alias, fresh value, shape or fact mentions <paramref name="key"/> (no allocation: Forget runs at every store).</summary>
        private static bool Mentions(ObjectSet value, ValueKey key)
        {
            foreach (var alias in value.Aliases)
            {
                if (alias.Alias.Equals(key) || alias.Canonical.Equals(key))
                {
                    return true;
                }
            }

            return Touches(value, key);
        }

        private static ObjectSet ForgetMentioned(ObjectSet value, ValueKey key)
        {
            if (value.Aliases.Any(a => a.Alias.Equals(key)))
            {
                value = value.With(aliases: value.Aliases.RemoveAll(a => a.Alias.Equals(key)));
            }

            if (value.Aliases.FirstOrDefault(a => a.Canonical.Equals(key)) is { } heir)
            {
                // The original is reassigned but a copy still holds the value: the copy carries its facts from now on.
                value = Rename(value.With(aliases: value.Aliases.Remove(heir).Select(a => a.Canonical.Equals(key) ? new KeyAlias(a.Alias, heir.Alias) : a).ToImmutableArray()),
                    key, heir.Alias);
            }

            if (!Touches(value, key))
            {
                return value;
            }

            return new ObjectSet(
                value.Facts.Where(f => !f.Target.RootedAt(key)).Select(f => Unhook(f, key)).ToImmutableArray(),
                value.Fresh.Remove(key),
                value.Shapes.RemoveAll(s => s.Key.Equals(key)),
                value.Aliases);
        }

        /// <summary>Whether a fresh value, shape or fact hangs off <paramref name="key"/> (loops: asked at every store and bind).</summary>
        private static bool Touches(ObjectSet value, ValueKey key)
        {
            if (value.Fresh.Contains(key) || Keyed.Any(value.Shapes, s => s.Key, key))
            {
                return true;
            }

            foreach (var f in value.Facts)
            {
                if (f.Target.RootedAt(key) || (f.Open is { } o && (o.Condition.Equals(key) || o.CheckKey.Equals(key) || (o.Handle?.RootedAt(key) ?? false))))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Conditions and handles keyed on a value that is gone: the begin stands as the code believes.</summary>
        private static ObjectFact Unhook(ObjectFact fact, ValueKey key)
        {
            if (fact.Open is not { } open)
            {
                return fact;
            }

            var changed = open;
            if (open.Condition.Equals(key))
            {
                changed = changed.With(clearCondition: true);
            }

            if (open.CheckKey.Equals(key))
            {
                changed = changed.With(clearCheck: true);
            }

            return ReferenceEquals(changed, open) ? fact : fact.With(fact.Presence, changed);
        }

        /// <summary>
        /// A value moves to a local or capture: a call's result moves there (it had no other name); a local's value is
        /// aliased by the copy, which then stands for it (§7.16: copying the handle is not a use).
        /// </summary>
        public override ObjectSet Bind(ObjectSet value, ValueKey from, ValueKey to, bool negate)
        {
            value = Forget(value, to);
            if (!from.IsOperation && !negate)
            {
                var canonical = value.Canonical(from);
                if (!Touches(value, canonical))
                {
                    return value;
                }

                var shapes = value.Shapes.Where(s => s.Key.Equals(canonical)).Select(s => new ValueShape(to, s.NonZero)).ToImmutableArray();
                return value.With(aliases: value.Aliases.Add(new KeyAlias(to, canonical)), shapes: value.Shapes.AddRange(shapes));
            }

            if (!Touches(value, from))
            {
                return value;
            }

            return Rename(value, from, to, negate);
        }

        /// <summary>Moves every fact keyed on <paramref name="from"/> to <paramref name="to"/>.</summary>
        private static ObjectSet Rename(ObjectSet value, ValueKey from, ValueKey to, bool negate = false)
        {
            var facts = ImmutableArray.CreateBuilder<ObjectFact>();
            foreach (var fact in value.Facts)
            {
                var target = fact.Target.RootedAt(from) ? fact.Target.WithKey(to) : fact.Target;
                var open = fact.Open;
                if (open is not null && !negate)
                {
                    open = open.With(
                        condition: open.Condition.Equals(from) ? to : null,
                        checkKey: open.CheckKey.Equals(from) ? to : null,
                        handle: open.Handle is { } h && h.RootedAt(from) ? h.WithKey(to) : null);
                }

                facts.Add(ReferenceEquals(target, fact.Target) && ReferenceEquals(open, fact.Open) ? fact : new ObjectFact(target, fact.Name, fact.Presence, open));
            }

            var fresh = value.Fresh.Contains(from) ? value.Fresh.Remove(from).Add(to) : value.Fresh;
            var shapes = value.Shapes.Where(s => s.Key.Equals(from)).Select(s => new ValueShape(to, s.NonZero)).ToImmutableArray();
            return new ObjectSet(facts.ToImmutable(), fresh, value.Shapes.RemoveAll(s => s.Key.Equals(from)).AddRange(shapes), value.Aliases);
        }

        /// <summary>Results not stored are gone, but a resource they carry is still owed: the facts stay keyed on the call.</summary>
        public override ObjectSet DropOperationFacts(ObjectSet value)
        {
            if (!value.Shapes.Any(s => s.Key.IsOperation) && !value.Facts.Any(f => f.Open is { } o && ((o.Condition?.IsOperation ?? false) || (o.CheckKey?.IsOperation ?? false))))
            {
                return value;
            }

            return value.With(
                facts: value.Facts.Select(f => f.Open is { } o && ((o.Condition?.IsOperation ?? false) || (o.CheckKey?.IsOperation ?? false))
                    ? f.With(f.Presence, o.With(clearCondition: o.Condition?.IsOperation ?? false, clearCheck: o.CheckKey?.IsOperation ?? false))
                    : f).ToImmutableArray(),
                shapes: value.Shapes.RemoveAll(s => s.Key.IsOperation));
        }

        /// <summary>
        /// A branch on <paramref name="key"/>: decides begins whose <c>When</c> hangs on it (§7.15), <c>CheckedBy</c> results
        /// (true or non-zero: the mapping failed), and records whether the value is zero/null on this branch.
        /// </summary>
        public override ObjectSet? Assume(ObjectSet value, FlowState state, ValueKey key, ValueTest test, bool truth)
        {
            var canonical = value.Canonical(key);
            foreach (var fact in value.Facts)
            {
                if (fact.Open is not { } open)
                {
                    continue;
                }

                if (open.Condition is { } condition && (condition.Equals(key) || condition.Equals(canonical)))
                {
                    var success = Decide(open.Clause.When, test, truth);
                    if (success == true)
                    {
                        // The condition stays: where this side later meets the failed side, a test of the same result
                        // still decides (`if (ret == 0) { … } unlock; if (ret != 0) return ret;`).
                        if (fact.Presence != Presence.In)
                        {
                            value = value.Set(fact.With(Presence.In, open));
                        }
                    }
                    else if (success == false)
                    {
                        value = Fail(value, fact);
                    }
                }
                else if (open.CheckKey is { } check && (check.Equals(key) || check.Equals(canonical)))
                {
                    // CheckedBy returns true (bool) or non-zero (int) when the mapping failed.
                    var failed = Decide(BeginWhen.NonZero, test, truth) ?? Decide(BeginWhen.True, test, truth);
                    if (failed == true)
                    {
                        value = Fail(value, fact);
                    }
                    else if (failed == false)
                    {
                        value = value.Set(fact.With(fact.Presence, open.With(clearCheck: true)));
                    }
                }
            }

            var nonZero = Decide(BeginWhen.NonZero, test, truth) ?? Decide(BeginWhen.NonNull, test, truth);
            if (nonZero is { } known && value.NonZero(key) != known)
            {
                value = value.With(shapes: value.Shapes.RemoveAll(s => s.Key.Equals(key)).Add(new ValueShape(key, known)));
            }

            return value;
        }

        /// <summary>
        /// A branch on a <c>[StateTest]</c> member (§3.3): where it is true (non-null) its target is in the state, where
        /// false (null) it is not; <c>if (x.P)</c>, <c>!x.P</c>, <c>x.P != null</c>, <c>x.P is { } v</c>.
        /// </summary>
        public override ObjectSet? AssumeMember(ObjectSet value, FlowState state, MemberRead read, ValueTest test, bool truth)
        {
            var contract = LifetimeContract.For(read.Contracts, read.Member);
            if (contract.Clauses.IsEmpty)
            {
                return value;
            }

            var owner = value.Canonical(ObjectTarget.For(read.Instance, read.InstanceKey));
            var type = read.Member switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol property => property.Type,
                IMethodSymbol method => method.ReturnType,
                _ => null,
            };
            if (owner is null || type is null)
            {
                return value;
            }

            var isIn = type.SpecialType == SpecialType.System_Boolean ? Decide(BeginWhen.True, test, truth) : Decide(BeginWhen.NonNull, test, truth);
            if (isIn is not { } known)
            {
                return value;
            }

            foreach (var clause in contract.Of(LifetimeClauseKind.StateTest))
            {
                if (StateTarget(owner, clause.Target) is { } target)
                {
                    value = Record(value, target, clause.Name, known);
                }
            }

            return value;
        }

        /// <summary>
        /// A store: a tracked value (a begun resource's target or handle) stored in a field or element is handed over
        /// (§7.13); <c>true</c>/non-null stored into a <c>[StateTest]</c> member records its state, <c>false</c>/null clears it.
        /// </summary>
        public override ObjectSet StoreMember(ObjectSet value, FlowState state, MemberStore store)
        {
            if (store.ValueKey is { } storedKey && value.Canonical(storedKey) is var stored && value.Facts.Any(f => f.Open is { HandedOver: false } o && (f.Target.RootedAt(stored) || (o.Handle?.RootedAt(stored) ?? false))))
            {
                value = value.With(facts: value.Facts.Select(f => f.Open is { HandedOver: false } o && (f.Target.RootedAt(stored) || (o.Handle?.RootedAt(stored) ?? false))
                    ? f.With(f.Presence, o.With(handedOver: true)) : f).ToImmutableArray());
            }

            if (store.Member is null || value.Canonical(ObjectTarget.For(store.Instance, store.InstanceKey)) is not { } owner)
            {
                return value;
            }

            var contract = LifetimeContract.For(store.Contracts, store.Member);
            if (contract.Clauses.IsEmpty)
            {
                return value;
            }

            var stripped = store.Value;
            while (stripped is IConversionOperation { OperatorMethod: null } conversion)
            {
                stripped = conversion.Operand;
            }

            bool? isIn = stripped.ConstantValue.HasValue
                ? stripped.ConstantValue.Value switch { bool b => b, null => false, _ => null }
                : stripped is IObjectCreationOperation or IArrayCreationOperation ? true
                : store.ValueKey is { } key && value.NonZero(key) is { } nonZero && !(stripped.Type?.SpecialType == SpecialType.System_Boolean) ? nonZero
                : null;
            foreach (var clause in contract.Of(LifetimeClauseKind.StateTest))
            {
                if (StateTarget(owner, clause.Target) is not { } target)
                {
                    continue;
                }

                if (isIn is { } known)
                {
                    value = Record(value, target, clause.Name, known);
                }
                else if (value.Find(target, clause.Name) is { } fact)
                {
                    value = fact.Open is null ? value.Remove(target, clause.Name) : value.Set(fact.With(Presence.Unknown, fact.Open));
                }
            }

            return value;
        }

        /// <summary>
        /// The body's own contract on entry: its <c>[RequiresState]</c> and <c>[Ends]</c> targets are in the state, its
        /// <c>[RequiresNotState]</c> targets and the targets of its exclusive <c>[Begins]</c> are not (its callers prove them).
        /// </summary>
        public override ObjectSet Enter(ObjectSet value, BodyContext body, ContractProvider contracts)
        {
            if (body.Symbol is not { } method || body.Kind == BodyKind.LambdaRunsAtOnce)
            {
                return value;
            }

            var contract = LifetimeContract.For(contracts, method);
            foreach (var clause in contract.Clauses)
            {
                if (clause.TargetsReturn || clause.Target.Substitute(method.IsStatic ? null : AccessPath.This, body.ParameterPath) is not { } path ||
                    ObjectTarget.For(path, null) is not { } target)
                {
                    continue;
                }

                switch (clause.Kind)
                {
                    case LifetimeClauseKind.RequiresState:
                    case LifetimeClauseKind.Ends:
                        value = value.Set(new ObjectFact(target, clause.Name, Presence.In, null));
                        break;
                    case LifetimeClauseKind.RequiresNotState:
                        value = value.Set(new ObjectFact(target, clause.Name, Presence.NotIn, null));
                        break;
                    case LifetimeClauseKind.Begins when !clause.Counted:
                        value = value.Set(new ObjectFact(target, clause.Name, Presence.NotIn, null));
                        break;
                }
            }

            return value;
        }

        /// <summary>A state test's target: relative to the member's owner (<c>"Sgt"</c> means <c>owner.Sgt</c>).</summary>
        private static ObjectTarget? StateTarget(ObjectTarget owner, LockExpr target) =>
            target.Kind == LockRootKind.This ? owner.Append(target.Members) : null;

        /// <summary>The target is (not) in the state on this path; an opening stays where it is, and goes where the test says the state is gone.</summary>
        private static ObjectSet Record(ObjectSet value, ObjectTarget target, string name, bool isIn)
        {
            var fact = value.Find(target, name);
            if (isIn)
            {
                return fact is { Presence: Presence.In } ? value : value.Set(new ObjectFact(target, name, Presence.In, fact?.Open));
            }

            return fact is { Presence: Presence.NotIn, Open: null } ? value : value.Set(new ObjectFact(target, name, Presence.NotIn, null));
        }

        /// <summary>The begin failed on this path: nothing is open, and a counted resource is back where it was (§7.15).</summary>
        private static ObjectSet Fail(ObjectSet value, ObjectFact fact)
        {
            var open = fact.Open!;
            if (open.Clause.Counted && open.Count > 1)
            {
                return value.Set(fact.With(fact.Presence, open.With(count: open.Count - 1, clearCondition: true, clearCheck: true)));
            }

            // Where the target was in the state before (a counted resource the caller holds) it still is; otherwise this
            // path does not have what the failed begin would have given it (ending it here is DRV3004).
            var prior = open.Clause.Counted && open.Prior is Presence.In or Presence.Maybe ? open.Prior : Presence.NotIn;
            return value.Set(fact.With(prior, null));
        }

        /// <summary>
        /// Whether the branch where <paramref name="test"/> is <paramref name="truth"/> means success for <paramref name="when"/>:
        /// true, false, or null when it cannot tell. For <c>Zero</c>, a branch that rules out 0 fails and one that keeps 0 and
        /// rules out negative values succeeds (the kernel's 0-or-negative-errno convention); for <c>NonZero</c>, a branch that
        /// rules out 0 succeeds and one that keeps 0 and rules out positive values fails (a count).
        /// </summary>
        public static bool? Decide(BeginWhen when, ValueTest test, bool truth)
        {
            switch (when)
            {
                case BeginWhen.True:
                case BeginWhen.False:
                {
                    if (test.Constant.Kind != 0)
                    {
                        return null;
                    }

                    var t = test.Holds(ConditionValue.Bool(true)) is { } ht ? ht == truth : (bool?)null;
                    var f = test.Holds(ConditionValue.Bool(false)) is { } hf ? hf == truth : (bool?)null;
                    if (t is null || f is null || t == f)
                    {
                        return null;
                    }

                    return when == BeginWhen.True ? t : f;
                }

                case BeginWhen.Null:
                case BeginWhen.NonNull:
                {
                    if (test.Constant.Kind != 2 || test.Kind is not (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals))
                    {
                        return null;
                    }

                    var isNull = (test.Kind == BinaryOperatorKind.Equals) == truth;
                    return when == BeginWhen.Null ? isNull : !isNull;
                }

                case BeginWhen.Zero:
                case BeginWhen.NonZero:
                {
                    if (test.Constant.Kind != 1)
                    {
                        return null;
                    }

                    var (negative, zero, positive) = Admits(test, truth);
                    if (when == BeginWhen.Zero)
                    {
                        return !zero ? false : !negative ? true : null;
                    }

                    return !zero ? true : !positive ? false : null;
                }

                default:
                    return null;
            }
        }

        /// <summary>Which signs of an integer the branch admits.</summary>
        private static (bool Negative, bool Zero, bool Positive) Admits(ValueTest test, bool truth)
        {
            var c = test.Constant.Value;
            bool negative, zero, positive;
            switch (test.Kind)
            {
                case BinaryOperatorKind.Equals:
                    (negative, zero, positive) = (c < 0, c == 0, c > 0);
                    break;
                case BinaryOperatorKind.NotEquals:
                    (negative, zero, positive) = (true, c != 0, true);
                    break;
                case BinaryOperatorKind.LessThan:
                    (negative, zero, positive) = (true, c > 0, c > 1);
                    break;
                case BinaryOperatorKind.LessThanOrEqual:
                    (negative, zero, positive) = (true, c >= 0, c > 0);
                    break;
                case BinaryOperatorKind.GreaterThan:
                    (negative, zero, positive) = (c < -1, c < 0, true);
                    break;
                case BinaryOperatorKind.GreaterThanOrEqual:
                    (negative, zero, positive) = (c < 0, c <= 0, true);
                    break;
                default:
                    return (true, true, true);
            }

            if (truth)
            {
                return (negative, zero, positive);
            }

            // The complement: for equality it admits everything but c; for an ordering, the other side.
            return test.Kind switch
            {
                BinaryOperatorKind.Equals => (true, c != 0, true),
                BinaryOperatorKind.NotEquals => (c < 0, c == 0, c > 0),
                BinaryOperatorKind.LessThan => (c < 0, c <= 0, true),
                BinaryOperatorKind.LessThanOrEqual => (c < -1, c < 0, true),
                BinaryOperatorKind.GreaterThan => (true, c >= 0, c > 0),
                BinaryOperatorKind.GreaterThanOrEqual => (true, c > 0, c > 1),
                _ => (true, true, true),
            };
        }
    }
}
