import { lineCopySql } from './src/formats/copy/text-copy.js';
const cols = ['objectId:long:20','ra:double:701','decl:double:701','uPsfFlux:double:701','gPsfFlux:double:701','rPsfFlux:double:701','iPsfFlux:double:701','zPsfFlux:double:701','rPsfMag:float:700','extendedness:float:700'];
const columns = cols.map(c => { const [name, datatype] = c.split(':'); return { name, datatype } as any; });
const fields = cols.map(c => ({ dataTypeID: Number(c.split(':')[2]) } as any));
const sql = 'SELECT "objectId", ra, decl, "uPsfFlux", "gPsfFlux", "rPsfFlux", "iPsfFlux", "zPsfFlux", "rPsfMag", extendedness FROM "DC_W13_Stripe82"."Object"';
console.log(lineCopySql(process.argv[2] as any, sql, columns, fields, { sql, limit: 1000001 }));
