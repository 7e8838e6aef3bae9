#!/usr/bin/env python3
"""Two Redis-side measurements behind docs/REDIS.md, with the Redis binary the tests use:

  pubsub   classic PUBLISH on one node, classic PUBLISH on a 3-primary cluster (publisher and the
           two subscribers on different nodes), SPUBLISH on the channel's own shard: 300-byte
           messages pipelined 500 at a time, messages per second reaching each of 2 subscribers;
  script   the stream append script with and without its primary check (INFO replication inside
           the script): pipelined EVALs per second against one node;
  wait     a batch of 250 session totals (HSET + PEXPIRE each, one pipeline) on a primary with one
           replica, with and without a trailing WAIT 1 100 (what the totals do on Sentinel):
           milliseconds per batch.

Three rounds each, medians printed. A raw RESP client in Python: at these rates the client is the
limit, so read the numbers as ratios within one run.

usage: scripts/bench/redis-primitives.py target/bench/redis-server
"""
import socket, subprocess, time, os, sys, threading, shutil, tempfile
BIN = sys.argv[1] if len(sys.argv) > 1 else 'target/bench/redis-server'
WORK = tempfile.mkdtemp(prefix='goingaway-redis-primitives-')
def free():
    s=socket.socket(); s.bind(('127.0.0.1',0)); p=s.getsockname()[1]; s.close(); return p
def enc(*a):
    out=b'*%d\r\n'%len(a)
    for x in a:
        x=x.encode() if isinstance(x,str) else x
        out+=b'$%d\r\n%s\r\n'%(len(x),x)
    return out
class R:
    def __init__(s,port):
        for i in range(100):
            try: s.s=socket.create_connection(('127.0.0.1',port)); break
            except OSError: time.sleep(0.05)
        s.f=s.s.makefile('rb')
    def read(s):
        l=s.f.readline()
        t=l[:1]
        if t==b'+' or t==b'-' or t==b':': return l[1:-2].decode()
        if t==b'$':
            n=int(l[1:-2]); 
            if n<0: return None
            d=s.f.read(n+2); return d[:-2].decode()
        if t==b'*':
            n=int(l[1:-2]); return [s.read() for _ in range(n)]
    def cmd(s,*a):
        s.s.sendall(enc(*a)); return s.read()
procs=[]; dirs=[]
def start(port, cluster=False):
    d=os.path.join(WORK,'n%d'%port); shutil.rmtree(d,ignore_errors=True); os.makedirs(d); dirs.append(d)
    args=[BIN,'--port',str(port),'--bind','127.0.0.1','--save','','--appendonly','no','--dir',d]
    bus=None
    if cluster:
        bus=free(); args+=['--cluster-enabled','yes','--cluster-config-file','nodes.conf','--cluster-port',str(bus)]
    procs.append(subprocess.Popen(args,stdout=subprocess.DEVNULL))
    return bus
def bench(pubport, subports, channel, pubcmd, subcmd, n=100000, batch=500, size=300):
    got=[0]*len(subports); subs=[]
    for i,p in enumerate(subports):
        r=R(p); r.s.sendall(enc(subcmd,channel)); r.read(); subs.append(r)
    def reader(i,r):
        while got[i]<n:
            r.read(); got[i]+=1
    ts=[threading.Thread(target=reader,args=(i,r),daemon=True) for i,r in enumerate(subs)]
    [t.start() for t in ts]
    pub=R(pubport); payload='x'*size
    t0=time.time()
    def drain(k):
        for _ in range(k): pub.read()
    sent=0
    while sent<n:
        k=min(batch,n-sent); pub.s.sendall(b''.join(enc(pubcmd,channel,payload) for _ in range(k))); drain(k); sent+=k
    while min(got)<n and time.time()-t0<60: time.sleep(0.01)
    dt=time.time()-t0
    for r in subs: r.s.close()
    pub.s.close()
    return n/dt

OLD = """local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then epoch = ARGV[1]; redis.call('DEL', KEYS[2]); redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0) end
local offset = redis.call('HINCRBY', KEYS[1], 'top', 1)
local frame = ARGV[2] .. offset .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], offset .. '-0', 'f', frame)
redis.call('PEXPIRE', KEYS[1], ARGV[5]); redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {epoch, offset, frame, 0}"""
NEW = """local gen = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)')
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'gen')
local epoch = meta[1]
if not epoch or meta[2] ~= gen then epoch = ARGV[1]; redis.call('DEL', KEYS[2]); redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0, 'gen', gen) end
local offset = redis.call('HINCRBY', KEYS[1], 'top', 1)
local frame = ARGV[2] .. offset .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], offset .. '-0', 'f', frame)
redis.call('PEXPIRE', KEYS[1], ARGV[5]); redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {epoch, offset, frame, 0}"""

def waits(port, batches=200, batch=250):
    r = R(port)
    res = {}
    for rnd in range(3):
        for name, tail in (('without WAIT', []), ('with WAIT 1', [enc('WAIT', '1', '100')])):
            t = time.time()
            for b in range(batches):
                cmds = []
                for i in range(batch):
                    key = 'goingaway:session:%d-%d' % (b, i)
                    cmds.append(enc('HSET', key, 'total', str(i), 'recent', '["a","b"]'))
                    cmds.append(enc('PEXPIRE', key, '86400000'))
                r.s.sendall(b''.join(cmds + tail))
                for i in range(len(cmds) + len(tail)):
                    r.read()
            res.setdefault(name, []).append((time.time() - t) * 1000 / batches)
    for k, v in res.items():
        print('wait   %-14s %s ms per batch of 250 totals (median %.2f)' % (k, ['%.2f' % x for x in v], sorted(v)[1]))

def scripts(port, n=20000, batch=250):
    r = R(port)
    res = {}
    for rnd in range(3):
        for name, sc in (('without check', OLD), ('with check', NEW)):
            t = time.time()
            for b in range(n // batch):
                r.s.sendall(b''.join(enc('EVAL', sc, '2', 'm:' + name, 'l:' + name, 'e1',
                                         '{"type":"message","offset":', '}' + 'x' * 100, '200', '300000')
                                     for i in range(batch)))
                for i in range(batch):
                    r.read()
            res.setdefault(name, []).append(n / (time.time() - t))
    for k, v in res.items():
        print('script %-14s %s appends/s (median %d)' % (k, [int(x) for x in v], sorted(v)[1]))

try:
    one=free(); start(one)
    ports=[free() for _ in range(3)]; buses=[start(p,True) for p in ports]
    rs=[R(p) for p in ports]
    per=16384//3
    for i,r in enumerate(rs):
        lo=i*per; hi=16383 if i==2 else (i+1)*per-1
        r.cmd('CLUSTER','ADDSLOTSRANGE',str(lo),str(hi))
    for i in range(1,3): rs[0].cmd('CLUSTER','MEET','127.0.0.1',str(ports[i]),str(buses[i]))
    deadline=time.time()+30
    while time.time()<deadline:
        if all('cluster_state:ok' in r.cmd('CLUSTER','INFO') for r in rs): break
        time.sleep(0.1)
    R(one).cmd('PING')
    scripts(one)
    primary = free(); start(primary); replica = free(); start(replica)
    R(primary).cmd('CONFIG', 'SET', 'repl-diskless-sync-delay', '0')
    R(replica).cmd('REPLICAOF', '127.0.0.1', str(primary))
    deadline = time.time() + 30
    while time.time() < deadline and 'master_link_status:up' not in R(replica).cmd('INFO', 'replication'):
        time.sleep(0.05)
    waits(primary)
    ch='goingaway:fanout'
    slot=int(rs[0].cmd('CLUSTER','KEYSLOT',ch)); owner=ports[min(slot//per,2)]
    others=[p for p in ports if p!=owner]
    res={'single classic':[], 'cluster classic':[], 'cluster sharded':[]}
    for rnd in range(3):
        res['single classic'].append(bench(one,[one,one],ch,'PUBLISH','SUBSCRIBE'))
        # instances subscribe on any node; publishes come from the node of each stream's slot
        res['cluster classic'].append(bench(others[0],[owner,others[1]],ch,'PUBLISH','SUBSCRIBE'))
        # sharded: one channel lives on one shard; publisher and subscribers must use its owner
        res['cluster sharded'].append(bench(owner,[owner,owner],ch,'SPUBLISH','SSUBSCRIBE'))
    for k,v in res.items(): print('pubsub %-16s %s msgs/s to each of 2 subscribers (median %d)'%(k,[int(x) for x in v],sorted(v)[1]))
finally:
    for p in procs: p.kill()
    shutil.rmtree(WORK, ignore_errors=True)
