using System;
using System.Threading;
using Molt.Console;
using Molt.Drivers.Pci;
using Molt.Hal;
using Molt.Interrupts;
using Molt.Memory;
using Molt.Net;
using Molt.Threading;
using Molt.Time;

namespace Molt.Drivers.Virtio
{
    /// <summary>
    /// A virtio-net device (5.1), modern PCI interface only (device id
    /// 0x1041), as an <see cref="INetDevice"/>.
    ///
    /// Set-up (<see cref="Probe"/>, 3.1.1), each step checked:
    /// 1. Memory decoding and bus mastering on; the virtio capabilities mapped.
    /// 2. Reset, then ACKNOWLEDGE and DRIVER.
    /// 3. Features: VERSION_1 must be offered (a device without it is a
    ///    legacy one and is refused); MAC, STATUS and MTU are taken when
    ///    offered; nothing else (no offloads, no mergeable buffers, no event
    ///    index). FEATURES_OK must stick.
    /// 4. Queue 0 (receive) and 1 (transmit): up to <see cref="MaxQueueSize"/>
    ///    entries, rings and one 2 KiB buffer per descriptor in physically
    ///    contiguous frames (reached through the direct map; the device gets
    ///    physical addresses).
    /// 5. Interrupt: MSI-X entry 0 for the receive queue, aimed at CPU 0's
    ///    local APIC, where the arch offers MSI (x86-64); else the INTx pin
    ///    through the host bridge's interrupt-map to a level-triggered GIC SPI
    ///    (AArch64). The transmit queue raises none: its buffers are reclaimed
    ///    by the next <see cref="Transmit"/>.
    /// 6. DRIVER_OK; the MAC, link status and MTU read from the device
    ///    configuration (retried while its generation changes); every receive
    ///    buffer posted.
    ///
    /// Receive path and the lost-notification guard:
    /// 1. The interrupt handler only acknowledges (INTx: reads the ISR, which
    ///    lowers the line), turns further receive interrupts off, raises
    ///    <c>_rxSignal</c> and wakes the waiter.
    /// 2. <see cref="Poll"/> takes used buffers, hands each frame to the sink,
    ///    re-posts the same descriptor and buffer, and notifies once.
    /// 3. <see cref="WaitForFrames"/> turns receive interrupts back on, then
    ///    looks at the used ring again before sleeping: a frame that arrived
    ///    while interrupts were off is seen here, not lost until some
    ///    unrelated interrupt. The sleep itself checks <c>_rxSignal</c>, the
    ///    ring and the deadline under the wait queue's lock, so a wake-up
    ///    between the check and the sleep is not lost either.
    ///
    /// Threading: <see cref="Transmit"/> from any CPU (a spin lock guards the
    /// transmit queue); <see cref="Poll"/> and <see cref="WaitForFrames"/> from
    /// one thread at a time (the stack's network thread, or a test).
    /// Everything allocated here lives as long as the kernel: a device is never removed.
    /// </summary>
    public sealed unsafe class VirtioNet : INetDevice
    {
        public const ushort DeviceIdModern = 0x1041;
        public const int MaxQueueSize = 256;
        public const int BufferSize = 2048;
        /// <summary>struct virtio_net_hdr with VERSION_1: 12 bytes, num_buffers included (5.1.6).</summary>
        public const int HeaderSize = 12;
        public const int MaxFrame = 1514;
        public const int MaxDevices = 4;
        /// <summary>The longest single <see cref="WaitForFrames"/> (an hour); longer time-outs are cut to it.</summary>
        public const long MaxWaitMicroseconds = 3_600_000_000L;

        // Feature bits (5.1.3, 6).
        public const int FeatureMtu = 3, FeatureMac = 5, FeatureStatus = 16, FeatureVersion1 = 32;

        private VirtioPciTransport _transport;
        private SplitVirtqueue _rx, _tx;
        private ulong _rxNotify, _txNotify;
        private ulong _rxBuffersPhys, _txBuffersPhys;
        private byte* _rxBuffers, _txBuffers;
        private SpinLock _txLock;
        private WaitQueue _waiters;
        private int _rxSignal;
        private long _waitDeadline;
        private TimerEntry[] _timers;
        private int _vector = -1;
        private bool _wired;
        private uint _wiredLine;
        private int _index;

        public PciFunction Function;
        public ulong Features;
        public ushort LinkStatus;
        public bool UsesMsiX => !_wired;
        public int Vector => _vector;
        public uint WiredLine => _wiredLine;
        public int RxQueueSize => _rx.Size;
        public int TxQueueSize => _tx.Size;
        public int TxInFlight { get { bool irq = _txLock.Acquire(); int n = _tx.Size - _tx.FreeCount; _txLock.Release(irq); return n; } }

        // Counters (monotonic; read without locks, so a reader may see a value one update old).
        public ulong RxFrames, RxBytes, RxDropped, TxFrames, TxCompleted, TxRingFull, TxRejected, Interrupts, SpuriousInterrupts;
        public ulong BadDescriptors => _rx.BadDescriptors + _tx.BadDescriptors;

        private byte _mac0, _mac1, _mac2, _mac3, _mac4, _mac5;
        private int _mtu = 1500;

        private static VirtioNet[] s_devices;
        private static int s_count;
        public static int DeviceCount => s_count;
        public static VirtioNet Device(int i) => (uint)i < (uint)s_count ? s_devices[i] : null;

        // ---- INetDevice ----

        public void GetMacAddress(Span<byte> mac6)
        {
            mac6[0] = _mac0; mac6[1] = _mac1; mac6[2] = _mac2; mac6[3] = _mac3; mac6[4] = _mac4; mac6[5] = _mac5;
        }

        public int Mtu => _mtu;

        public bool Transmit(ReadOnlySpan<byte> frame)
        {
            if (frame.Length < 14 || frame.Length > _mtu + 14 || frame.Length > BufferSize - HeaderSize)
            {
                TxRejected++; // outside the lock: a racing count may be lost, the frame never is
                return false;
            }
            bool irq = _txLock.Acquire();
            ReclaimTransmitted();
            int id = _tx.TakeFree();
            if (id < 0)
            {
                TxRingFull++;
                _txLock.Release(irq);
                return false;
            }
            byte* buffer = _txBuffers + (long)id * BufferSize;
            for (int i = 0; i < HeaderSize; i++) buffer[i] = 0;
            frame.CopyTo(new Span<byte>(buffer + HeaderSize, frame.Length));
            _tx.Submit(id, _txBuffersPhys + (ulong)id * BufferSize, (uint)(HeaderSize + frame.Length), false);
            _tx.Publish();
            TxFrames++;
            if (_tx.NeedsNotify)
            {
                DeviceAccess.DmaBarrier();
                DeviceAccess.Write16(_txNotify, 1);
            }
            _txLock.Release(irq);
            return true;
        }

        public int Poll(IFrameSink sink, int budget)
        {
            int n = 0, reposted = 0;
            while (n < budget)
            {
                int id; uint length;
                UsedResult r = _rx.TryTakeUsed(out id, out length);
                if (r == UsedResult.Empty) break;
                if (r == UsedResult.BadDescriptor) continue; // counted by the queue; its slot is skipped
                if (length < HeaderSize + 14 || length > BufferSize) RxDropped++;
                else
                {
                    int frameLength = (int)length - HeaderSize;
                    if (sink != null) sink.OnFrame(new ReadOnlySpan<byte>(_rxBuffers + (long)id * BufferSize + HeaderSize, frameLength));
                    RxFrames++;
                    RxBytes += (ulong)frameLength;
                    n++;
                }
                _rx.Submit(id, _rxBuffersPhys + (ulong)id * BufferSize, BufferSize, true);
                reposted++;
            }
            if (reposted != 0)
            {
                _rx.Publish();
                if (_rx.NeedsNotify)
                {
                    DeviceAccess.DmaBarrier();
                    DeviceAccess.Write16(_rxNotify, 0);
                }
            }
            return n;
        }

        public void WaitForFrames(long timeoutMicroseconds)
        {
            if (_rx.HasUsed) return;
            // Step 3: interrupts back on, then the ring once more.
            _rx.SetInterrupts(true);
            if (_rx.HasUsed) return;
            if (timeoutMicroseconds <= 0) return;
            if (timeoutMicroseconds > MaxWaitMicroseconds) timeoutMicroseconds = MaxWaitMicroseconds; // no overflow below; callers loop anyway
            ulong deadline = Clock.NanosecondsSinceBoot() + (ulong)timeoutMicroseconds * 1000;
            Volatile.Write(ref _waitDeadline, (long)deadline);
            if (!ArmWakeTimer(deadline))
            {
                // Every timer is still pending from earlier waits: sleep a tick instead (a spurious return is allowed).
                Scheduler.Sleep(1_000_000);
                return;
            }
            _waiters.WaitFor(&TryEndWait, ObjectRef.AddressOf(this));
        }

        // ---- internals ----

        /// <summary>Under the wait queue's lock: a signal (interrupt or timer), a used buffer, or the deadline ends the wait.</summary>
        private static bool TryEndWait(nint self)
        {
            VirtioNet d = ObjectRef.FromAddress<VirtioNet>(self);
            if (Interlocked.Exchange(ref d._rxSignal, 0) != 0) return true;
            if (d._rx.HasUsed) return true;
            return Clock.NanosecondsSinceBoot() >= (ulong)Volatile.Read(in d._waitDeadline);
        }

        /// <summary>
        /// Makes sure a timer wakes the waiter at or before <paramref name="deadline"/>.
        /// Timers cannot be cancelled, so earlier waits leave theirs pending: one
        /// due no later than this deadline serves (its wake-up ends this wait
        /// early, which the contract allows); else a free one is armed. False
        /// when every timer is pending with a later deadline.
        /// </summary>
        private bool ArmWakeTimer(ulong deadline)
        {
            for (int i = 0; i < _timers.Length; i++)
                if (_timers[i].IsPending && _timers[i].DeadlineNs <= deadline) return true;
            for (int i = 0; i < _timers.Length; i++)
                if (!_timers[i].IsPending && Scheduler.ArmTimer(_timers[i], deadline)) return true;
            return false;
        }

        /// <summary>A wait timer fired (interrupt context): end the current wait, whichever deadline it was armed for.</summary>
        private static void OnWakeTimer(nint self)
        {
            VirtioNet d = ObjectRef.FromAddress<VirtioNet>(self);
            d._waiters.Signal(&MarkSignal, self, true);
        }

        private static void MarkSignal(nint self) => Volatile.Write(ref ObjectRef.FromAddress<VirtioNet>(self)._rxSignal, 1);

        /// <summary>Transmit buffers the device is done with go back to the free list. Under the transmit lock.</summary>
        private void ReclaimTransmitted()
        {
            while (true)
            {
                int id; uint length;
                UsedResult r = _tx.TryTakeUsed(out id, out length);
                if (r == UsedResult.Empty) return;
                if (r == UsedResult.Taken) { _tx.Release(id); TxCompleted++; }
            }
        }

        /// <summary>Receive interrupts on or off, as the handler and <see cref="WaitForFrames"/> set them (the tests drive the lost-notification case with it).</summary>
        public bool RxInterruptsEnabled
        {
            get => _rx.InterruptsEnabled;
            set => _rx.SetInterrupts(value);
        }

        /// <summary>True when received frames wait in the used ring (nothing is taken).</summary>
        public bool RxPending => _rx.HasUsed;

        /// <summary>Reclaims finished transmit buffers now (tests and idle paths); returns how many are still with the device.</summary>
        public int ReclaimTransmitBuffers()
        {
            bool irq = _txLock.Acquire();
            ReclaimTransmitted();
            int n = _tx.Size - _tx.FreeCount;
            _txLock.Release(irq);
            return n;
        }

        /// <summary>
        /// The interrupt handler (step 1 of the receive path), shared by every
        /// virtio-net device: interrupts off, must not block or allocate.
        /// </summary>
        private static void OnInterrupt(int vector)
        {
            for (int i = 0; i < s_count; i++)
            {
                VirtioNet d = s_devices[i];
                if (d._vector != vector) continue;
                if (d._wired)
                {
                    // Reading the ISR lowers the level-triggered line; 0 means another device on a shared line.
                    byte isr = d._transport.ReadIsr();
                    if (isr == 0) { d.SpuriousInterrupts++; continue; }
                }
                d.Interrupts++;
                d._rx.SetInterrupts(false);
                d._waiters.Signal(&MarkSignal, ObjectRef.AddressOf(d), false);
            }
        }

        // ---- probe ----

        /// <summary>Steps 1-6 for <paramref name="f"/>. Returns the device, or null after logging why not.</summary>
        public static VirtioNet Probe(PciFunction f)
        {
            if (s_devices == null) s_devices = new VirtioNet[MaxDevices];
            if (s_count >= MaxDevices) { Log.Warn("virtio-net", $"more than {MaxDevices} devices; {(int)f.Bus:x2}:{(int)f.Device:x2}.{(int)f.Function} ignored"); return null; }
            f.EnableMemoryAndBusMaster();
            VirtioPciTransport t;
            string error = VirtioPciTransport.Open(f, out t);
            if (error != null) { Fail(f, error); return null; }
            var d = new VirtioNet { _transport = t, Function = f, _index = s_count };
            error = d.Negotiate();
            if (error == null) error = d.SetUpQueues();
            if (error == null) error = d.SetUpInterrupt();
            if (error != null)
            {
                t.Status = (byte)(t.Status | VirtioPciTransport.StatusFailed);
                Fail(f, error);
                // The device is left failed; its rings stay allocated (a few frames) rather than be freed under a device that may still read them.
                return null;
            }
            t.Status = (byte)(t.Status | VirtioPciTransport.StatusDriverOk);
            d.ReadConfig();
            d.PostReceiveBuffers();
            s_devices[s_count++] = d;
            Log.Info("virtio-net", $"mac {(int)d._mac0:x2}:{(int)d._mac1:x2}:{(int)d._mac2:x2}:{(int)d._mac3:x2}:{(int)d._mac4:x2}:{(int)d._mac5:x2}, mtu {d._mtu}, {(d._wired ? "intx" : "msix")} {(d._wired ? (int)d._wiredLine : d._vector)}, queues {d._rx.Size}/{d._tx.Size}, link {((d.LinkStatus & 1) != 0 ? "up" : "down")}");
            return d;
        }

        private static void Fail(PciFunction f, string why)
            => Log.Warn("virtio-net", $"{(int)f.Bus:x2}:{(int)f.Device:x2}.{(int)f.Function}: {why}");

        private string Negotiate()
        {
            VirtioPciTransport t = _transport;
            if (!t.Reset()) return "the device did not reset";
            t.Status = VirtioPciTransport.StatusAcknowledge;
            t.Status = VirtioPciTransport.StatusAcknowledge | VirtioPciTransport.StatusDriver;
            ulong offered = t.DeviceFeatures();
            if ((offered & (1UL << FeatureVersion1)) == 0) return "VERSION_1 not offered: a legacy device, refused";
            ulong wanted = (1UL << FeatureVersion1) | (1UL << FeatureMac) | (1UL << FeatureStatus) | (1UL << FeatureMtu);
            Features = offered & wanted;
            t.SetDriverFeatures(Features);
            t.Status = (byte)(t.Status | VirtioPciTransport.StatusFeaturesOk);
            if ((t.Status & VirtioPciTransport.StatusFeaturesOk) == 0) return "the device refused the features (FEATURES_OK did not stick)";
            if (t.QueueCount < 2) return "fewer than two queues";
            return null;
        }

        /// <summary>Allocates one queue's rings (descriptor table, available ring, used ring: a page or more each) and its state bytes.</summary>
        private static string AllocateQueue(ref SplitVirtqueue q, int size, out ulong desc, out ulong avail, out ulong used)
        {
            ulong descPages = (ulong)(SplitVirtqueue.DescriptorTableBytes(size) + 4095) / 4096;
            ulong availPages = (ulong)(SplitVirtqueue.AvailRingBytes(size) + 4095) / 4096;
            ulong usedPages = (ulong)(SplitVirtqueue.UsedRingBytes(size) + 4095) / 4096;
            desc = FrameAllocator.AllocateContiguous(descPages + availPages + usedPages);
            avail = desc + descPages * 4096;
            used = avail + availPages * 4096;
            if (desc == 0) return "out of memory for a virtqueue";
            byte* state = (byte*)Heap.Allocate((uint)size);
            if (state == null) return "out of memory for a virtqueue";
            if (!q.Initialize(FrameAllocator.ToVirtual(desc), FrameAllocator.ToVirtual(avail), FrameAllocator.ToVirtual(used), state, size))
                return "the device's queue size is not a power of two";
            return null;
        }

        private static int ChooseSize(int offered)
        {
            int size = MaxQueueSize;
            while (size > offered) size >>= 1;
            return size;
        }

        private string SetUpQueues()
        {
            VirtioPciTransport t = _transport;
            int rxMax = t.MaxQueueSize(0), txMax = t.MaxQueueSize(1);
            if (rxMax == 0 || txMax == 0) return "queue 0 or 1 is not available";
            int rxSize = ChooseSize(rxMax), txSize = ChooseSize(txMax);
            if (rxSize < 2 || txSize < 2) return "the queues are too small";
            ulong rxDesc, rxAvail, rxUsed, txDesc, txAvail, txUsed;
            string error = AllocateQueue(ref _rx, rxSize, out rxDesc, out rxAvail, out rxUsed);
            if (error == null) error = AllocateQueue(ref _tx, txSize, out txDesc, out txAvail, out txUsed);
            else { txDesc = txAvail = txUsed = 0; }
            if (error != null) return error;
            _rxBuffersPhys = FrameAllocator.AllocateContiguous((ulong)rxSize * BufferSize / 4096);
            _txBuffersPhys = FrameAllocator.AllocateContiguous((ulong)txSize * BufferSize / 4096);
            if (_rxBuffersPhys == 0 || _txBuffersPhys == 0) return "out of memory for packet buffers";
            _rxBuffers = (byte*)FrameAllocator.ToVirtual(_rxBuffersPhys);
            _txBuffers = (byte*)FrameAllocator.ToVirtual(_txBuffersPhys);
            _rxDesc = rxDesc; _rxAvail = rxAvail; _rxUsed = rxUsed;
            _txDesc = txDesc; _txAvail = txAvail; _txUsed = txUsed;
            return null;
        }

        private ulong _rxDesc, _rxAvail, _rxUsed, _txDesc, _txAvail, _txUsed;

        private string SetUpInterrupt()
        {
            VirtioPciTransport t = _transport;
            PciFunction f = Function;
            _timers = new TimerEntry[4];
            for (int i = 0; i < _timers.Length; i++)
                _timers[i] = new TimerEntry { Callback = &OnWakeTimer, Argument = ObjectRef.AddressOf(this) };

            ushort rxVector = VirtioPciTransport.NoVector;
            MsiX msix;
            ulong address; uint data;
            int first, end;
            DeviceInterrupts.MsiVectorRange(out first, out end);
            if (first < end && DeviceInterrupts.ComposeMsi(first, 0, out address, out data) && MsiX.Open(f, out msix))
            {
                int vector = -1;
                for (int v = first; v < end && vector < 0; v++)
                    if (InterruptHandlers.Register(v, &OnInterrupt)) vector = v;
                if (vector < 0) return "no free interrupt vector for MSI-X";
                if (!DeviceInterrupts.ComposeMsi(vector, 0, out address, out data)) return "cannot compose an MSI message";
                _vector = vector;
                msix.SetEntry(0, address, data);
                msix.Enable(true);
                t.SetConfigVector(VirtioPciTransport.NoVector);
                rxVector = 0;
            }
            else
            {
                uint line; bool level;
                if (f.InterruptPin == 0) return "neither MSI-X nor an INTx pin";
                if (!PciBus.Host.RouteInterrupt(f.Bus, f.Device, f.Function, f.InterruptPin, out line, out level))
                    return "no MSI here, and the host bridge's interrupt-map has no route for the INTx pin";
                // Register first (a shared line may already carry this handler), then route.
                bool shared = false;
                for (int i = 0; i < s_count; i++) if (s_devices[i]._wired && s_devices[i]._wiredLine == line) shared = true;
                int vector = DeviceInterrupts.RouteWired(line, level, 0);
                if (vector < 0) return "the interrupt controller cannot route the INTx line";
                if (!shared && !InterruptHandlers.Register(vector, &OnInterrupt)) return "the INTx line's vector already has another handler";
                _vector = vector;
                _wired = true;
                _wiredLine = line;
            }
            _rxNotify = t.EnableQueue(0, _rx.Size, _rxDesc, _rxAvail, _rxUsed, rxVector);
            _txNotify = t.EnableQueue(1, _tx.Size, _txDesc, _txAvail, _txUsed, VirtioPciTransport.NoVector);
            if (_rxNotify == 0 || _txNotify == 0) return "the device refused a queue's MSI-X vector";
            _tx.SetInterrupts(false);
            return null;
        }

        private void ReadConfig()
        {
            VirtioPciTransport t = _transport;
            if (t.Device == 0) return;
            for (int attempt = 0; attempt < 16; attempt++)
            {
                byte generation = t.ConfigGenerationValue;
                if ((Features & (1UL << FeatureMac)) != 0)
                {
                    _mac0 = DeviceAccess.Read8(t.Device + 0); _mac1 = DeviceAccess.Read8(t.Device + 1); _mac2 = DeviceAccess.Read8(t.Device + 2);
                    _mac3 = DeviceAccess.Read8(t.Device + 3); _mac4 = DeviceAccess.Read8(t.Device + 4); _mac5 = DeviceAccess.Read8(t.Device + 5);
                }
                LinkStatus = (Features & (1UL << FeatureStatus)) != 0 ? DeviceAccess.Read16(t.Device + 6) : (ushort)1;
                if ((Features & (1UL << FeatureMtu)) != 0 && t.DeviceLength >= 12)
                {
                    int mtu = DeviceAccess.Read16(t.Device + 10);
                    if (mtu >= 68 && mtu <= 1500) _mtu = mtu;
                }
                if (t.ConfigGenerationValue == generation) break;
            }
            if ((Features & (1UL << FeatureMac)) == 0)
            {
                // No MAC from the device: a locally administered one, distinct per device.
                _mac0 = 0x02; _mac1 = 0x4D; _mac2 = 0x4F; _mac3 = 0x4C; _mac4 = 0x54; _mac5 = (byte)_index;
            }
        }

        private void PostReceiveBuffers()
        {
            int id;
            while ((id = _rx.TakeFree()) >= 0)
                _rx.Submit(id, _rxBuffersPhys + (ulong)id * BufferSize, BufferSize, true);
            _rx.Publish();
            DeviceAccess.DmaBarrier();
            DeviceAccess.Write16(_rxNotify, 0);
        }
    }
}
