import net from 'node:net';
const socks=[];let errs=0, replies=[];
for(let i=0;i<240;i++){const s=net.connect(27002,'127.0.0.1');s.on('error',()=>{errs++});s.on('data',d=>replies.push(i+':'+d.toString()));socks.push(s);await new Promise(r=>setTimeout(r,2));}
await new Promise(r=>setTimeout(r,500));
console.log('errs',errs,'replies',replies.slice(0,5), replies.length);
const s=net.connect(27002,'127.0.0.1');s.write('PING\r\n');s.on('data',d=>console.log('last',JSON.stringify(d.toString())));await new Promise(r=>setTimeout(r,300));
socks.forEach(s=>s.destroy());s.destroy();
